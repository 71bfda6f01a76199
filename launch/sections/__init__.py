"""The report sections of ``launch.reproduce``: one module each, with
``section(workdir, quick) -> (results, markdown)``."""
