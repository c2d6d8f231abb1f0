"""gunicorn's own log lines through oslo.log, so they take anvil's format.

gunicorn writes its master's and workers' lines (start, worker boots and
exits, timeouts) with handlers and a format of its own; with ``[DEFAULT]
use_json = true`` they would be the only lines of anvil-api that are not
JSON, and they would ignore ``log_file``. This logger class (gunicorn's
``logger_class`` setting) drops gunicorn's handlers and lets its loggers
``gunicorn.error`` and ``gunicorn.access`` propagate to the root logger,
where oslo.log put its own. anvil's access log is ``anvil.api.access``;
gunicorn's stays off (``accesslog`` None).
"""

from gunicorn import glogging


class OsloLogger(glogging.Logger):
    """gunicorn's logger, writing through the handlers oslo.log set up."""

    def setup(self, cfg):
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                if getattr(handler, '_gunicorn', False):
                    logger.removeHandler(handler)
            logger.propagate = True
