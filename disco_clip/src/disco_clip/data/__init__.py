"""Data for the trainer: the embedded shapes generator (``shapes``) and the open_clip CSV and
webdataset-shard readers (``datasets``) that read it and real data through the same code."""
