# JupyterLab for students (`make lab`, which runs from this folder): the notebook and nbgrader's
# Validate button, none of the instructor tools. See autograder/jupyter/README.md.
c = get_config()  # noqa: F821 (provided by Jupyter's config loader)

# Server side: nbgrader's Validate handler only. Extensions not named here keep the state the
# installed packages give them (JupyterLab, the notebook server, terminals, LSP).
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.validate_assignment": True,
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
}

# Browser side: nbgrader's instructor plugins are disabled (formgrader, Create Assignment, the
# assignment and course lists, the Nbgrader menu); Validate stays. Added to the page config of
# every page, JupyterLab's and the Notebook interface's alike.
INSTRUCTOR_PLUGINS = [
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:menu",
]


def disable_instructor_plugins(handler, page_config):
    disabled = page_config.get("disabledExtensions") or []
    if isinstance(disabled, dict):
        disabled = [name for name, off in disabled.items() if off]
    page_config["disabledExtensions"] = sorted(set(disabled) | set(INSTRUCTOR_PLUGINS))
    return page_config


c.ServerApp.tornado_settings = {"page_config_hook": disable_instructor_plugins}
