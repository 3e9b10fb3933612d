"""Process wiring: settings, start-up and shut-down, the job service and the voice players."""
