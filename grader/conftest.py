"""pytest entry point of the Ochre grader.

All machinery lives in the `ochre` package beside this file (grader/ is on
sys.path because this is the root conftest); see README.md.
"""

pytest_plugins = ["ochre.plugin"]
