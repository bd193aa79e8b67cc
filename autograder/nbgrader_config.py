# nbgrader reads this file when run from autograder/ (e.g. `cd autograder && nbgrader autograde 02-text-as-tensors`).
# The settings themselves live in autograder/course.py, shared with `python -m autograder`.
from autograder.course import configure

c = get_config()  # noqa: F821 (provided by nbgrader's config loader)
configure(c)
