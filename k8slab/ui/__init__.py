"""What the learner touches besides `lab.*`: the command line, the doctor, the cell magics, the
live widgets."""
