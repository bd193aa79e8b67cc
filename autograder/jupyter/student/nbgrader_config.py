# nbgrader's Validate button reads this file: `make lab` runs JupyterLab from this folder, and the
# Validate handler loads nbgrader_config.py from the server's working folder. Validate runs the
# notebook in the student's own kernel, with the per-cell time limit grading uses (set once, in
# `Limits` of autograder/course.py; the student edition gets a copy with the numbers written in).
from autograder.course import validate_settings

c = get_config()  # noqa: F821 (provided by nbgrader's config loader)

for name, value in validate_settings().items():
    setattr(c.Execute, name, value)
