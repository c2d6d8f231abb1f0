"""The WSGI entry point builds the app from its config file, without the console scripts."""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]

_SCRIPT = '''
import json, sys
from anvil.api import wsgi
from anvil.common.config import CONF
client = wsgi.application.test_client()
answer = client.get('/v1', headers={'X-OpenStack-Ironic-API-Version': 'latest'})
print(json.dumps({'status': answer.status_code, 'port': CONF.api.port,
                  'cmd_loaded': sorted(m for m in sys.modules if m.startswith('anvil.cmd'))}))
'''


def test_wsgi_application_reads_its_config_file(tmp_path):
    config = tmp_path / 'anvil.conf'
    config.write_text('[DEFAULT]\nauth_strategy = noauth\n[api]\nport = 16385\n'
                      '[database]\nconnection = sqlite:///%s\n' % (tmp_path / 'db.sqlite'))
    done = subprocess.run([sys.executable, '-c', _SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={'ANVIL_CONFIG_FILE': str(config),
                                                       'PATH': '/usr/bin:/bin'})
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {'status': 200, 'port': 16385, 'cmd_loaded': []}
