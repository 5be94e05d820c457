"""The Ochre grader's machinery: QEMU driver, points, reports.

Modules:
    tree      where the labs, builds and the QEMU command line are
    symbols   kernel.sym lookup (address -> "function+0xoff")
    machine   one QEMU run and an expect-style API over its serial port
    triage    explaining a triple fault from QEMU's debug log
    scores    the score table and Gradescope's results.json
    plugin    the pytest plugin: options, markers, the `ochre` fixture
"""
