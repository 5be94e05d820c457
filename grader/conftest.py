"""pytest entry point of the Ochre grader.

All machinery lives in the `ochre` package beside this file (grader/ is on
sys.path because this is the root conftest); see README.md.
"""

pytest_plugins = ["ochre.plugin"]

# The example of an instructor's hidden tests is added to a tree by
# grader/autograde.py --hidden; in this tree it is not a test directory.
collect_ignore = ["hidden-example"]


def pytest_ignore_collect(collection_path, config):
    """Grading (--lab N) never runs a host test: their modules are not even
    imported (collecting them cost about 0.4 s of CPU in each of the many
    graded runs of make test)."""
    if config.getoption("lab", None) is not None and collection_path.name == "host" \
            and collection_path.parent.name == "grader":
        return True
    return None

