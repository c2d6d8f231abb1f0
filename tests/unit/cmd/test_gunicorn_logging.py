"""gunicorn's own log lines go through the root logger (oslo.log's handlers and format)."""

import logging

from gunicorn import config

from anvil.cmd import api
from anvil.cmd.gunicorn_logging import OsloLogger


def test_gunicorn_lines_reach_the_root_handlers(caplog):
    caplog.set_level(logging.INFO)
    logger = OsloLogger(config.Config())
    try:
        assert not [h for h in logger.error_log.handlers if getattr(h, '_gunicorn', False)]
        logger.info('Booting worker with pid: %s', 42)
        assert [(r.name, r.getMessage()) for r in caplog.records] == [
            ('gunicorn.error', 'Booting worker with pid: 42')]
    finally:   # gunicorn's loggers are process-wide: as gunicorn's own class leaves them
        for log in (logger.error_log, logger.access_log):
            log.propagate = False


def test_anvil_api_hands_gunicorn_that_logger(conf):
    assert api.gunicorn_options()['logger_class'] == 'anvil.cmd.gunicorn_logging.OsloLogger'
