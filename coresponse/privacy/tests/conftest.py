# The real-browser fixtures of the staff web app (Debian's chromium, fast test hashing).
from coresponse.web.tests.test_browser import browser, fast_hashing  # noqa: F401
