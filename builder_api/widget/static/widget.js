/* automap widget: page views and events in the Segment format, and the site's chat and popups.
 * Every marketer-written string reaches the page through textContent, never as HTML, and links
 * only when they are http(s). A message counts as delivered once it is on the page, and as read
 * only once the visitor could see it: at least half of it on screen, in the tab being looked at. */
(function (window, document) {
  "use strict";
  if (window.automap && window.automap.loaded) return;

  var VERSION = "1.0.0";
  var SEEN_SHARE = 0.5; // how much of a message must be on screen for the visitor to have seen it
  var GREETING = "Ask us anything \u2014 we usually answer within a few minutes."; // atop the chat, above any message
  var YEAR = 365 * 24 * 3600;
  var CAMPAIGN = { source: "utm_source", medium: "utm_medium", name: "utm_campaign", term: "utm_term", content: "utm_content" };
  // Layers, bottom to top: the chat (launcher and panel), small popups, the large popup's overlay. Our own
  // `display` rules would beat the browser's `[hidden]{display:none}`: the `hidden` attribute must win.
  var CSS =
    ":host{all:initial}*{box-sizing:border-box;font:15px/1.4 system-ui,sans-serif;color:#1d2330}" +
    "[hidden]{display:none!important}" +
    ".corner{position:fixed;right:20px;bottom:90px;z-index:2147483001}" +
    // Beside the open chat panel where the screen is wide enough for both, on top of it where it is not.
    "@media (min-width:700px){:host([data-chat-open]) .corner{right:376px}}" +
    ".overlay{position:fixed;inset:0;z-index:2147483002;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center}" +
    ".popup{position:relative;background:#fff;border-radius:10px;box-shadow:0 8px 30px rgba(0,0,0,.25);padding:20px}" +
    ".small{width:300px}.large{width:min(560px,92vw);padding:32px}" +
    ".title{margin:0 24px 8px 0;font-weight:700;font-size:18px}.large .title{font-size:24px}" +
    ".text{margin:0 0 14px;white-space:pre-wrap}" +
    ".action{display:inline-block;background:#3b5bdb;color:#fff;border-radius:6px;padding:8px 16px;text-decoration:none}" +
    ".close{position:absolute;top:8px;right:10px;border:0;background:none;font-size:22px;cursor:pointer}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;" +
    "background:#3b5bdb;color:#fff;font-size:24px;cursor:pointer}" +
    ".badge{position:absolute;top:-4px;right:-4px;background:#e03131;color:#fff;border-radius:10px;padding:0 6px;font-size:12px}" +
    ".panel{position:fixed;right:20px;bottom:90px;z-index:2147483000;width:340px;height:440px;display:flex;flex-direction:column;" +
    "background:#fff;border-radius:10px;box-shadow:0 8px 30px rgba(0,0,0,.25)}" +
    ".log{flex:1;overflow:auto;padding:12px}.them,.me{margin:6px 0;padding:8px 12px;border-radius:10px;max-width:85%;white-space:pre-wrap}" +
    ".them{background:#f1f3f5}.me{background:#3b5bdb;color:#fff;margin-left:auto}.sender{font-size:12px;color:#868e96}" +
    ".note{font-size:11px;opacity:.75;text-align:right;color:inherit}.hello{margin:4px 0 12px;font-size:14px;color:#495057}" +
    ".reply{display:flex;border-top:1px solid #e9ecef}.reply textarea{flex:1;border:0;padding:10px;resize:none}" +
    ".reply button{border:0;background:none;color:#3b5bdb;font-weight:700;padding:0 14px;cursor:pointer}";

  var script = document.currentScript;
  var base = script ? new URL(script.src, window.location.href).origin : "";
  var writeKey = null;
  var anonymousId = null;
  var userId = null;
  var userHash = null;
  var token = null;
  var streamUrl = null;
  var held = [];
  var shown = {};
  var shownReplies = {};
  var lastReply = 0;
  var root = null;
  var chat = null;
  var chatOn = true;

  // ---- identity: a first-party cookie for a year, mirrored in localStorage ----

  function readCookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  function writeCookie(name, value) {
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = name + "=" + encodeURIComponent(value) + "; Max-Age=" + YEAR + "; Path=/; SameSite=Lax" + secure;
  }

  function stored(name) {
    try { return window.localStorage.getItem(name); } catch (e) { return null; }
  }

  function store(name, value) {
    try { window.localStorage.setItem(name, value); } catch (e) { /* storage disabled: the cookie still works */ }
  }

  function uuid() {
    var crypto = window.crypto;
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function loadIdentity() {
    anonymousId = readCookie("automap_aid") || stored("automap_aid") || uuid();
    writeCookie("automap_aid", anonymousId);
    store("automap_aid", anonymousId);
    // A userId is sent only with the user_hash the site's backend gave for it; without one the anonymous id,
    // already linked to the user, still brings the visitor's events to the right contact.
    userHash = stored("automap_uhash");
    userId = userHash ? stored("automap_uid") : null;
  }

  // ---- tracking: Segment's page, track and identify calls ----

  function pageContext() {
    var location = window.location;
    var params = new URLSearchParams(location.search);
    var page = { path: location.pathname, referrer: document.referrer, search: location.search, title: document.title, url: location.href };
    var context = { page: page, userAgent: navigator.userAgent, locale: navigator.language, library: { name: "automap-widget", version: VERSION } };
    var campaign = {};
    Object.keys(CAMPAIGN).forEach(function (key) {
      var value = params.get(CAMPAIGN[key]);
      if (value) campaign[key] = value;
    });
    if (Object.keys(campaign).length) context.campaign = campaign;
    return context;
  }

  function post(path, body, authorization) {
    return window.fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: authorization },
      body: JSON.stringify(body)
    });
  }

  function writeKeyAuth() {
    return "Basic " + window.btoa(writeKey + ":");
  }

  function send(type, fields) {
    var message = { type: type, anonymousId: anonymousId, messageId: uuid(), timestamp: new Date().toISOString(), context: pageContext() };
    Object.keys(fields).forEach(function (key) { message[key] = fields[key]; });
    if (userId && !message.userId) {
      message.userId = userId;
      message.context.user_hash = userHash;
    }
    message.sentAt = new Date().toISOString();
    return post("/v1/" + type, message, writeKeyAuth()).catch(function () { /* offline: the visit goes unrecorded */ });
  }

  var commands = {
    // init(key, {chat: false}), or data-chat="off" on the script tag: no chat on this page, popups only. The
    // chat messages the site sends then wait, undelivered, for a page that has it (or go on by email).
    init: function (key, options) {
      if (writeKey || !key) return;
      writeKey = String(key);
      chatOn = !(options && options.chat === false) && !(script && script.getAttribute("data-chat") === "off");
      loadIdentity();
      commands.page();
      startSession();
      held.splice(0).forEach(function (args) { run(args); });
    },
    page: function (name, properties) {
      var page = pageContext().page;
      var fields = { properties: Object.assign({}, page, properties || {}) };
      if (name) fields.name = String(name);
      send("page", fields);
    },
    track: function (event, properties) {
      send("track", { event: String(event), properties: properties || {} });
    },
    // identify(userId, traits, {user_hash}): the hash comes from the site's backend (identity verification).
    identify: function (id, traits, options) {
      if (id !== null && typeof id === "object") { options = traits; traits = id; id = null; }
      var hash = options && options.user_hash;
      var fields = { traits: traits || {} };
      if (id && hash) {
        userId = String(id);
        userHash = String(hash);
        store("automap_uid", userId);
        store("automap_uhash", userHash);
      } else if (id) {
        // Unverified: accepted only for a userId nobody has yet. It links this browser's anonymous id to
        // the user, so later calls need not (and, once the user is known, may not) repeat it.
        fields.userId = String(id);
      }
      send("identify", fields);
    }
  };

  function run(args) {
    var command = commands[args[0]];
    if (!command) return window.console && console.warn("automap: unknown command " + args[0]);
    if (args[0] !== "init" && !writeKey) return held.push(args);
    command.apply(null, Array.prototype.slice.call(args, 1));
  }

  // ---- messages: a visitor token, the event stream, statuses and replies ----

  function visitorCall(path, body) {
    return post(path, body, "Bearer " + token);
  }

  // A report the server already has counts nothing: it locks the message and counts each status once.
  function report(id, status) {
    return visitorCall("/widget/messages/" + id + "/status", { status: status }).catch(function () {});
  }

  // The message is on the page now, seen or not.
  function reportDelivered(message) {
    if ((message.statuses || []).indexOf("delivered") < 0) report(message.id, "delivered");
  }

  function startSession() {
    post("/widget/session", { anonymousId: anonymousId }, writeKeyAuth())
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (session) {
        token = session.token;
        // Served apart in production (automap widget-stream), on this server otherwise.
        streamUrl = session.stream_url || base + "/widget/stream";
        if (!chatOn) return openStream();
        chatPanel(); // the visitor may write first
        return loadConversation().then(openStream);
      })
      .catch(function () { window.setTimeout(startSession, 30000); });
  }

  function openStream() {
    var source = new window.EventSource(streamUrl + "?token=" + encodeURIComponent(token) + "&after_reply=" + lastReply);
    source.onmessage = function (event) { show(JSON.parse(event.data)); };
    // The visitor's own words arriving from elsewhere: written in another tab, or an answer by email.
    if (chatOn) source.addEventListener("reply", function (event) { showReply(JSON.parse(event.data)); });
    source.onerror = function () {
      // EventSource reconnects by itself; it gives up only when refused (an expired token): start over.
      if (source.readyState === window.EventSource.CLOSED) window.setTimeout(startSession, 5000);
    };
  }

  function loadConversation() {
    return window.fetch(base + "/widget/conversation", { headers: { Authorization: "Bearer " + token } })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (conversation) {
        conversation.items.forEach(function (item) {
          if (item.kind === "reply") return showReply(item);
          shown[item.id] = true;
          addChat(item);
        });
      });
  }

  function showReply(reply) {
    if (shownReplies[reply.id]) return;
    shownReplies[reply.id] = true;
    lastReply = Math.max(lastReply, reply.id);
    addLine("me", reply.body, null, reply.source === "email" ? "by email" : null);
    chat.last = null; // the visitor has had its say since the site's latest message: what follows is new
  }

  function show(message) {
    if (shown[message.id] || (message.channel !== "popup" && !chatOn)) return;
    shown[message.id] = true;
    if (message.channel === "popup") showPopup(message);
    else addChat(message);
  }

  function webLink(url) {
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function shadowRoot() {
    if (!root) {
      var host = element("div");
      host.id = "automap-widget";
      document.body.appendChild(host);
      root = host.attachShadow({ mode: "open" });
      root.appendChild(element("style", null, CSS));
    }
    return root;
  }

  // Calls `seen` once, when at least SEEN_SHARE of `node` is on screen in a tab the visitor is looking at:
  // a popup in a background tab, or a chat line in a closed panel or scrolled away, has not been read.
  function whenSeen(node, seen) {
    var onScreen = false;
    var observer = new window.IntersectionObserver(function (entries) {
      onScreen = entries[entries.length - 1].intersectionRatio >= SEEN_SHARE;
      check();
    }, { threshold: SEEN_SHARE });
    function stop() {
      observer.disconnect();
      document.removeEventListener("visibilitychange", check);
    }
    function check() {
      if (!node.isConnected) return stop(); // closed before it was seen
      if (!onScreen || document.visibilityState !== "visible") return;
      stop();
      seen();
    }
    observer.observe(node);
    document.addEventListener("visibilitychange", check);
  }

  function showPopup(message) {
    var frame = element("div", message.size === "large" ? "overlay" : "corner");
    var card = element("div", "popup " + (message.size === "large" ? "large" : "small"));
    var close = element("button", "close", "\u00d7");
    card.setAttribute("role", "dialog");
    card.setAttribute("data-message-id", message.id);
    close.setAttribute("aria-label", "Close");
    close.onclick = function () {
      frame.remove();
      report(message.id, "dismissed");
    };
    card.appendChild(close);
    card.appendChild(element("h2", "title", message.title));
    card.appendChild(element("p", "text", message.body));
    var url = message.button && webLink(message.button.url);
    if (url) {
      var action = element("a", "action", message.button.text);
      action.href = url;
      action.onclick = function (event) {
        event.preventDefault();
        frame.remove();
        // Count the click before leaving the page, but never hold the visitor more than half a second.
        var leave = function () { window.location.assign(url); };
        Promise.race([report(message.id, "clicked"), new Promise(function (done) { window.setTimeout(done, 500); })]).then(leave, leave);
      };
      card.appendChild(action);
    }
    frame.appendChild(card);
    shadowRoot().appendChild(frame);
    reportDelivered(message);
    whenSeen(card, function () { report(message.id, "read"); });
  }

  function chatPanel() {
    if (chat) return chat;
    var launcher = element("button", "launcher", "\u2709");
    var badge = element("span", "badge");
    var panel = element("div", "panel");
    var log = element("div", "log");
    var form = element("form", "reply");
    var input = element("textarea");
    launcher.setAttribute("aria-label", "Chat");
    launcher.setAttribute("aria-expanded", "false");
    input.setAttribute("placeholder", "Write a message\u2026");
    input.rows = 2;
    badge.hidden = true;
    panel.hidden = true;
    form.appendChild(input);
    form.appendChild(element("button", null, "Send"));
    log.appendChild(element("p", "hello", GREETING));
    panel.appendChild(log);
    panel.appendChild(form);
    launcher.appendChild(badge);
    chat = { launcher: launcher, badge: badge, panel: panel, log: log, unread: 0, last: null };
    launcher.onclick = function () { setChatOpen(panel.hidden); };
    form.onsubmit = function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      // An answer to the site's latest message counts as `replied` at its send node; the rest starts or goes on
      // with the conversation. The line shows once stored; the stream's `reply` event for it is then a repeat.
      var path = chat.last === null ? "/widget/messages" : "/widget/messages/" + chat.last + "/replies";
      visitorCall(path, { body: text })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(showReply)
        .catch(function () { if (!input.value) input.value = text; }); // not sent: the visitor's words are kept
    };
    input.onkeydown = function (event) { // Enter sends, Shift+Enter starts a new line
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    };
    shadowRoot().appendChild(panel);
    shadowRoot().appendChild(launcher);
    return chat;
  }

  function setChatOpen(open) {
    chat.panel.hidden = !open;
    chat.launcher.setAttribute("aria-expanded", String(open));
    shadowRoot().host.toggleAttribute("data-chat-open", open);
    // A hidden log cannot scroll: bring the latest lines, the likeliest unread, into view.
    if (open) chat.log.scrollTop = chat.log.scrollHeight;
  }

  function addLine(className, text, sender, note) {
    var log = chatPanel().log;
    if (sender) log.appendChild(element("div", "sender", sender));
    var line = log.appendChild(element("div", className, text));
    if (note) line.appendChild(element("div", "note", note));
    log.scrollTop = log.scrollHeight;
    return line;
  }

  function addChat(message) {
    var line = addLine("them", message.body, message.sender_name);
    chat.last = message.id;
    if ((message.statuses || []).indexOf("read") >= 0) return;
    reportDelivered(message);
    countUnread(1);
    whenSeen(line, function () {
      countUnread(-1);
      report(message.id, "read");
    });
  }

  function countUnread(change) {
    chat.unread += change;
    chat.badge.textContent = String(chat.unread);
    chat.badge.hidden = chat.unread === 0;
  }

  // ---- the public function: automap('init', key), automap('track', …), automap('identify', …) ----

  var queued = (window.automap && window.automap.q) || [];
  function automap() { run(arguments); }
  automap.loaded = true;
  window.automap = automap;
  if (script && script.getAttribute("data-write-key")) run(["init", script.getAttribute("data-write-key")]);
  queued.forEach(run);
})(window, document);
