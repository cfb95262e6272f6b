"""What a site owner pastes into their pages to load the widget, and how their backend vouches for a user.

The snippet is the README's (the loader shape of Segment's analytics.js and Intercom: calls made before
widget.js has loaded are queued), filled in with this server's public URL and the site key in force.
"""
from __future__ import annotations

import json

LOADER = """<script>
  !function(w,d,u,k){{w.automap=w.automap||function(){{(w.automap.q=w.automap.q||[]).push(arguments)}};
  var s=d.createElement("script");s.async=1;s.src=u;d.head.appendChild(s);w.automap("init",k)}}
  (window,document,{url},{key});
</script>"""

IDENTIFY = """<script>
  // after sign-in, on every page: userId, traits, and the user_hash your backend computed for this user
  automap("identify", "USER_ID", {email: "USER_EMAIL"}, {user_hash: "USER_HASH"});
</script>"""

# Server-side examples of context.user_hash = hex HMAC-SHA256(identity secret, userId); the secret is read from
# the site's own environment, never written into a page.
IDENTITY_EXAMPLES = {
    "python": """import hashlib, hmac, os

def automap_user_hash(user_id: str) -> str:
    secret = os.environ["AUTOMAP_IDENTITY_SECRET"].encode()
    return hmac.new(secret, str(user_id).encode(), hashlib.sha256).hexdigest()""",
    "node": """const crypto = require("crypto");

function automapUserHash(userId) {
  return crypto.createHmac("sha256", process.env.AUTOMAP_IDENTITY_SECRET)
    .update(String(userId)).digest("hex");
}""",
    "php": """function automap_user_hash(string $userId): string {
    return hash_hmac('sha256', $userId, getenv('AUTOMAP_IDENTITY_SECRET'));
}""",
}


def _js_string(text: str) -> str:
    """A JavaScript string literal that cannot end the <script> element it sits in."""
    return json.dumps(text).replace("<", "\\u003c")


def script_url(public_url: str) -> str:
    """Where browsers load widget.js from."""
    return f"{public_url}/widget.js"


def install_snippet(public_url: str, write_key: str) -> str:
    """The HTML to paste before </body> on every page of the site."""
    return LOADER.format(url=_js_string(script_url(public_url)), key=_js_string(write_key))
