"""`python -m bot`: the same entry point as the `cnrp-bot` console script."""

import gc


def _main() -> None:
    # Off before anything is imported: a start that answers one question makes some 300,000
    # objects (numpy's and the project's modules, the engine) and frees almost none, and the
    # collector's passes over them were some 20 M instructions of it. `run` turns it back on
    # for every other command.
    gc.disable()
    from bot.cli import run

    run()


_main()
