"""Keystone calls behind the harness's devstack Keystone functions.

devstack runs ``openstack --os-cloud devstack-system-admin ...`` for these;
this does the same requests over Keystone's REST API as the bootstrap admin
(system scope): ``KEYSTONE_SERVICE_URI`` and ``ADMIN_PASSWORD`` from the
environment, like devstack's. Prints what devstack's function echoes (an id).

  keystone_admin.py create-service-user NAME PASSWORD DOMAIN PROJECT [ROLE]
  keystone_admin.py get-or-create-service NAME TYPE DESCRIPTION
  keystone_admin.py get-or-create-endpoint SERVICE REGION URL
  keystone_admin.py delete-service TYPE NAME
"""

import os
import sys

import requests

URL = os.environ['KEYSTONE_SERVICE_URI'].rstrip('/') + '/v3'


def _token():
    auth = {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'id': 'default'},
        'password': os.environ['ADMIN_PASSWORD']}}}, 'scope': {'system': {'all': True}}}
    resp = requests.post(URL + '/auth/tokens', json={'auth': auth}, timeout=30)
    resp.raise_for_status()
    return resp.headers['X-Subject-Token']


class Keystone:
    def __init__(self):
        self.headers = {'X-Auth-Token': _token()}

    def request(self, verb, path, body=None):
        resp = requests.request(verb, URL + path, json=body, headers=self.headers, timeout=30)
        if resp.status_code >= 400:
            sys.exit('keystone_admin: %s %s: %s %s' % (verb, path, resp.status_code,
                                                      resp.text[:300]))
        return resp.json() if resp.content else None

    def find(self, collection, **query):
        found = self.request('GET', '/%s?%s' % (collection, '&'.join(
            '%s=%s' % item for item in query.items())))[collection]
        return found[0]['id'] if found else None

    def get_or_create(self, collection, body, **query):
        existing = self.find(collection, **query)
        if existing:
            return existing
        singular = collection[:-1]
        return self.request('POST', '/' + collection, {singular: body})[singular]['id']


def create_service_user(ks, name, password, domain, project, role=None):
    domain_id = ks.find('domains', name=domain)
    user = ks.get_or_create('users', {'name': name, 'password': password,
                                      'domain_id': domain_id, 'enabled': True},
                            name=name, domain_id=domain_id)
    project_id = ks.find('projects', name=project, domain_id=domain_id)
    for role_name in ['service'] + ([role] if role else []):
        ks.request('PUT', '/projects/%s/users/%s/roles/%s'
                   % (project_id, user, ks.find('roles', name=role_name)))
    return user


def get_or_create_service(ks, name, service_type, description):
    return ks.get_or_create('services', {'name': name, 'type': service_type,
                                         'description': description, 'enabled': True},
                            type=service_type)


def get_or_create_endpoint(ks, service, region, url):
    service_id = ks.find('services', type=service) or service
    return ks.get_or_create('endpoints', {'service_id': service_id, 'interface': 'public',
                                          'region_id': region, 'url': url, 'enabled': True},
                            service_id=service_id, interface='public', region_id=region)


def delete_service(ks, service_type, name):
    for service in ks.request('GET', '/services?type=%s' % service_type)['services']:
        if service['name'] == name:
            ks.request('DELETE', '/services/%s' % service['id'])
            return service['id']
    return ''


COMMANDS = {'create-service-user': create_service_user,
            'get-or-create-service': get_or_create_service,
            'get-or-create-endpoint': get_or_create_endpoint,
            'delete-service': delete_service}

if __name__ == '__main__':
    print(COMMANDS[sys.argv[1]](Keystone(), *sys.argv[2:]))
