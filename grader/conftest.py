"""pytest entry point of the Ochre grader.

All machinery lives in the `ochre` package beside this file (grader/ is on
sys.path because this is the root conftest); see README.md.
"""

pytest_plugins = ["ochre.plugin"]

# The example of an instructor's hidden tests is added to a tree by
# grader/autograde.py --hidden; in this tree it is not a test directory.
collect_ignore = ["hidden-example"]
