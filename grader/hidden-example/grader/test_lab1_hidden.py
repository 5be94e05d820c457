"""Hidden tests of lab 1: an example of an instructor's hidden tests.

grader/autograde.py --hidden grader/hidden-example copies this directory
over the tree it grades (new files only); no handout contains it
(grader/handout.py, INSTRUCTOR_ONLY_DIRS). Each test's visibility marker
reaches Gradescope's results.json as it is: `hidden` tests are never shown
to students, `after_due_date` ones once the due date has passed.
"""

import re

import pytest

pytestmark = pytest.mark.lab(1)


@pytest.mark.points(2)
@pytest.mark.visibility("hidden")
def test_hidden_frames_interleave(ochre):
    """Frames freed in another order than they were allocated: none is
    handed out twice, and the free count adds up."""
    ochre.ktest("hidden_frames_interleave")


@pytest.mark.points(1)
@pytest.mark.visibility("after_due_date")
def test_hidden_heap_sizes(ochre):
    """Heap objects of many sizes keep their contents while others are
    freed around them."""
    ochre.ktest("hidden_heap_sizes")


@pytest.mark.points(1)
@pytest.mark.visibility("after_due_date")
def test_hidden_boot_memory(ochre):
    """The kernel reports the usable memory at boot: more than 1000 free
    frames on the grader's machine (the frame allocator found the RAM)."""
    m = ochre.boot("")
    got = m.expect(r"^memory: (\d+) MiB usable, (\d+) frames free", partial=False)
    frames = int(got.group(2))
    if frames <= 1000:
        m.fail(f"free frames at boot: got {frames:#x}, want more than {1000:#x}")
