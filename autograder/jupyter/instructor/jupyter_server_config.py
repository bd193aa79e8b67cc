# JupyterLab for instructors (`make lab-instructor`, which runs from autograder/ so that nbgrader
# reads the course's nbgrader_config.py): every nbgrader tool, on the whole repository.
c = get_config()  # noqa: F821 (provided by Jupyter's config loader)

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.validate_assignment": True,
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.course_list": True,
}
