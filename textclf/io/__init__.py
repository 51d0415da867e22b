"""What comes in and goes out: files and tables, links, model files, the script export, and
text made safe to show."""
