"""Data acquisition: dataset cards and remote files, download (mirdata, pooch), verification, splits,
stand-in markers, audio decoding, pretrained weights and file hashes. The first stage of the pipeline:
data -> features -> windows -> train -> evaluate -> record -> report."""
