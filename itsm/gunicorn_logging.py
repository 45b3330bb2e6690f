"""gunicorn's access log with the client's address (`%(h)s`) read by the product's one rule
(`itsm.client_address`), not the proxy's: `logger_class` in gunicorn.conf.py. The gunicorn
master has no Django settings, so PROXY_COUNT comes from the environment, as the settings
read it."""

from gunicorn.glogging import Logger

from .client_address import address_from, proxy_count_from_environment


class AccessLogger(Logger):
    proxy_count = proxy_count_from_environment()

    @staticmethod
    def client(environ, proxy_count: int) -> str:
        return address_from(environ, proxy_count) or "-"

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = self.client(environ, self.proxy_count)
        return atoms
