"""The compiler's passes over the IR, one per module, each ``run(ir: BundleIR) -> None``.

Each pass decides one thing and writes it onto the IR in place; the order they run in
is the table :data:`xml2json.compiler.pipeline.PASSES`. Every pass decides from the
schema only, never from instance data (rule 10), and reads its mapping choices from
:mod:`xml2json.policy`.
"""
