"""The command line, the doctor, the magics and the widgets (in a headless browser too)."""
