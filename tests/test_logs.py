"""irbench's messages reach a library user through logging (one logger per module under ``irbench``) and
the command line through :func:`irbench.logs.messages_to`."""

import logging

from irbench.run.callbacks import resume_point
from irbench.logs import LOGGER_NAME, messages_to


def test_a_library_user_gets_messages_through_logging(tmp_path, caplog):
    latest = tmp_path / "latest.ckpt"
    latest.write_bytes(b"not a checkpoint")
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        assert resume_point(latest, 5) is False
    (record,) = [r for r in caplog.records if r.name.startswith(LOGGER_NAME)]
    assert record.name == "irbench.run.callbacks" and record.levelno == logging.WARNING
    assert "latest.ckpt.unreadable" in record.getMessage() and (tmp_path / "latest.ckpt.unreadable").exists()


def test_messages_to_forwards_within_its_block_and_restores_the_level():
    logger = logging.getLogger(LOGGER_NAME)
    before = logger.level
    shown = []
    with messages_to(lambda message, level: shown.append((message, level))):
        logging.getLogger("irbench.run.runner").info("inside")
        logging.getLogger("elsewhere").warning("not irbench's")
    logging.getLogger("irbench.run.runner").info("after")
    assert shown == [("inside", logging.INFO)] and logger.level == before


def test_a_panns_baseline_without_weights_says_it_trains_from_scratch(caplog, tmp_path, monkeypatch):
    from irbench.baselines.panns_checkpoint import CHECKPOINT_ENV, announce_scratch, find_checkpoint

    monkeypatch.delenv(CHECKPOINT_ENV, raising=False)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        announce_scratch("cnn14", find_checkpoint(None, tmp_path))  # an empty cache: nothing downloaded
        announce_scratch("cnn14", find_checkpoint("none", tmp_path))  # scratch asked for: nothing to say
    (record,) = [r for r in caplog.records if r.name.startswith(LOGGER_NAME)]
    assert "trains from scratch" in record.getMessage() and "irbench data download cnn14-weights" in record.getMessage()
