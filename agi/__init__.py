"""FastAGI server (panoramisk): the hotline's voice front end and call setup."""
