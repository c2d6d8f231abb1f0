"""sushy-emulator with an EventService, a SessionService and test controls.

Run it exactly like ``sushy-emulator`` (same options), from the repository
root::

    python -m tests.functional.redfish_bmc.server --fake --config bmc.conf -p 8000

It imports the emulator's Flask app, registers the extra routes, adds the
EventService/SessionService links (and ``Links.Sessions``, which clients use
to find where to log in) to the service root, then hands over to the
emulator's own ``main()``. The WSGI layers are put in place just before the
server runs, after ``main()`` has configured Basic auth from the config file.
"""

import json
import sys

from sushy_tools.emulator import main as emulator

from tests.functional.redfish_bmc import controls, event_service, session_service

_original_root = emulator.app.view_functions['root_resource']


def root_resource():
    """The emulator's service root plus the services this extension adds."""
    response = _original_root()
    doc = json.loads(response.get_data())
    doc['EventService'] = {'@odata.id': event_service.ROOT}
    doc['SessionService'] = {'@odata.id': session_service.ROOT}
    doc.setdefault('Links', {})['Sessions'] = {'@odata.id': session_service.SESSIONS}
    response.set_data(json.dumps(doc))
    return response


def _install_wsgi_layers(app):
    """Token auth around the (possibly Basic-guarded) app, test controls outermost."""
    guarded = app.wsgi_app
    bare = getattr(guarded, 'app', guarded)
    app.wsgi_app = controls.Controls(session_service.TokenAuth(guarded, bare))


def extend(app):
    app.register_blueprint(event_service.bp)
    app.register_blueprint(session_service.bp)
    app.view_functions['root_resource'] = root_resource
    original_run = app.run

    def run(*args, **kwargs):
        _install_wsgi_layers(app)
        return original_run(*args, **kwargs)

    app.run = run


if __name__ == '__main__':
    extend(emulator.app)
    sys.exit(emulator.main())
