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
