"""The trial report: a self-contained HTML page (and PDF) from the analysis plan's results.

- :mod:`~mmntrial.report.write`: :func:`write_report` and :class:`ReportPaths`;
- :mod:`~mmntrial.report.figures`: the figures, each a function from tables to SVG text;
- :mod:`~mmntrial.report.consort`: the CONSORT flow diagram, drawn as SVG;
- :mod:`~mmntrial.report.baseline`: table 1; :mod:`~mmntrial.report.summary`: the protocol;
- :mod:`~mmntrial.report.html`: the Jinja2 page (``templates/``);
- :mod:`~mmntrial.report.pdf`: the PDF through WeasyPrint, imported only when needed;
- :mod:`~mmntrial.report.reproduce`: the SHA-256 of the dataset's content.

Import from the modules: this package re-exports nothing, so that importing one part
(the hash, say) does not load matplotlib and the analysis plan.
"""
