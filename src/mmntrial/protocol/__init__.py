"""The protocol: a TOML file that states the trial design as data, validated on load.

- :mod:`~mmntrial.protocol.model`: the frozen dataclasses (``Protocol`` and its parts),
  whose fields declare the keys of the file (:mod:`~mmntrial.protocol.keys`);
- :mod:`~mmntrial.protocol.loader`: ``builtin_names``, ``load_protocol``, ``parse_protocol``;
- :mod:`~mmntrial.protocol.serialize`: ``protocol_to_dict`` (the file layout, JSON-ready);
- :mod:`~mmntrial.protocol.schema` and :mod:`~mmntrial.protocol.spec`: every key of the
  file format, generated from the model; :mod:`~mmntrial.protocol.reader` checks a file
  against them;
- :mod:`~mmntrial.protocol.checks`: contradictions between keys;
- :mod:`~mmntrial.protocol.codes`: the table of PROTO-E0nn diagnostic codes;
- ``builtin/*.toml``: the protocols shipped with the package.

Import from the modules: this package re-exports nothing, so that importing the model
stays cheap and free of import cycles.
"""
