"""The kit as a whole: the notebooks' facts and outputs, the layers, the docs, CI and its scripts, faults."""
