"""PyInstaller runtime hook: make sure the bundled OpenSSL finds CA certificates.

A bundle carries the build machine's libssl, which looks for certificates where
that machine keeps them (Debian: /usr/lib/ssl). On another Linux (Fedora keeps
them in /etc/pki) or on macOS that folder does not exist, and every HTTPS pull
would fail verification. Then, and only then, point OpenSSL at certifi's bundle.
Windows is not affected: Python reads the system store there.
"""

import os
import ssl


def _has_system_certificates() -> bool:
    paths = ssl.get_default_verify_paths()
    if paths.cafile and os.path.isfile(paths.cafile):
        return True
    return bool(paths.capath and os.path.isdir(paths.capath) and os.listdir(paths.capath))


def _use_certifi_when_needed() -> None:
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR") or _has_system_certificates():
        return
    try:
        import certifi
    except ImportError:
        return
    os.environ["SSL_CERT_FILE"] = certifi.where()


_use_certifi_when_needed()
