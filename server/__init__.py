"""The web server: `app.py` is the app factory and its route table; each folder is one role."""
