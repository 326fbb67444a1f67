/* Coresponse Field: the team's call, one-tap status buttons, the encounter form, the resource
   directory, and a queue that keeps every write on the phone (IndexedDB) until the network
   returns. Each write carries an Idempotency-Key, so a retry never does the work twice; an
   edit names the version it started from, so the server never overwrites a newer one
   (docs/field-app.md). No framework, no build step: plain browser JavaScript. */
(function () {
  "use strict";

  const body = document.body;
  const CONF = {
    shell: body.dataset.shell,
    sw: body.dataset.sw,
    login: body.dataset.login,
    conflicts: body.dataset.conflicts,
    api: {
      profile: body.dataset.apiProfile,
      work: body.dataset.apiWork,
      records: body.dataset.apiRecords,
      record: body.dataset.apiRecord,
      status: body.dataset.apiStatus,
      resources: body.dataset.apiResources,
      outreach: body.dataset.apiOutreach,
      alert: body.dataset.apiAlert,
    },
  };
  const main = document.getElementById("main");
  const SYNC_EVERY = 20000; // ms between background syncs while online

  // --- small helpers ------------------------------------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, "");
      else el.setAttribute(k, v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = [...b].map((n) => n.toString(16).padStart(2, "0")).join("");
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  // Times in the program's zone (the profile says which), 24-hour like the staff site.
  const zone = () => (state.profile && state.profile.time_zone) || undefined;

  function clock(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone() });
  }

  function day(iso) {
    return new Date(iso).toLocaleDateString("en-US", { weekday: "short", month: "short", day: "numeric", timeZone: zone() });
  }

  function show(...parts) {
    main.replaceChildren(...parts.flat().filter(Boolean));
  }

  function isoDate(d) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  let toastTimer = null;
  function toast(text) {
    const el = document.getElementById("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (el.hidden = true), 4000);
  }

  function banner(text, link) {
    const el = document.getElementById("banner");
    el.replaceChildren();
    if (!text) {
      el.hidden = true;
      return;
    }
    el.append(text);
    if (link) el.append(" ", h("a", { href: link.href }, link.text));
    el.hidden = false;
  }

  // --- the phone's store (IndexedDB) ----------------------------------------------------------

  const DB_NAME = "coresponse-field";
  let dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("kv");
          db.createObjectStore("outbox", { keyPath: "id" });
          db.createObjectStore("records", { keyPath: "client_id" });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function tx(store, mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const s = t.objectStore(store);
      let result;
      Promise.resolve(work(s)).then((r) => (result = r));
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  function req(r) {
    return new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  const store = {
    get: (name, key) => tx(name, "readonly", (s) => req(s.get(key))),
    put: (name, value, key) => tx(name, "readwrite", (s) => req(key === undefined ? s.put(value) : s.put(value, key))),
    del: (name, key) => tx(name, "readwrite", (s) => req(s.delete(key))),
    all: (name) => tx(name, "readonly", (s) => req(s.getAll())),
  };

  // --- state -----------------------------------------------------------------------------------

  const state = {
    profile: null,
    work: null,
    resources: [],
    visits: [],
    outbox: [],
    records: [],
    syncing: false,
    signedOut: false,
    lastSync: null,
    view: "call",
    form: null, // the encounter being edited
  };

  const userId = () => (state.profile ? state.profile.user.id : null);
  const mine = (item) => item.user === userId();
  const waiting = () => state.outbox.filter((o) => mine(o) && (o.state === "waiting" || o.state === "sending"));
  const needsYou = () => state.outbox.filter((o) => mine(o) && (o.state === "conflict" || o.state === "failed"));
  const othersWaiting = () => state.outbox.filter((o) => !mine(o) && o.state === "waiting");

  async function loadLocal() {
    state.outbox = (await store.all("outbox")).sort((a, b) => a.seq - b.seq);
    for (const op of state.outbox) {
      if (op.state === "sending" && !state.syncing) {
        op.state = "waiting"; // the app was closed while it was being sent: send it again
        await store.put("outbox", op);
      }
    }
    state.records = await store.all("records");
  }

  async function kv(key, value) {
    if (value === undefined) return store.get("kv", key);
    return store.put("kv", value, key);
  }

  // --- the network -------------------------------------------------------------------------------

  class Offline extends Error {}

  async function call(method, url, data, key) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = state.csrf || ""; // from the profile: the cookie is HttpOnly
      if (key) headers["Idempotency-Key"] = key;
    }
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        cache: "no-store",
        body: data === undefined ? undefined : JSON.stringify(data),
      });
    } catch (error) {
      throw new Offline(String(error));
    }
    let payload = null;
    const type = response.headers.get("Content-Type") || "";
    if (response.redirected || !type.includes("json")) {
      // Sent to a sign-in or lock page instead of an answer: the session needs the person.
      state.signedOut = true;
      return { status: 401, ok: false, data: null };
    }
    payload = await response.json().catch(() => null);
    if (response.status === 401 || response.status === 403) {
      const detail = payload && payload.detail ? String(payload.detail) : "";
      if (response.status === 401 || detail.includes("CSRF") || detail.includes("credentials")) {
        state.signedOut = true;
      }
    }
    if (response.status >= 500) throw new Offline(`server error ${response.status}`);
    return { status: response.status, ok: response.ok, data: payload };
  }

  async function refresh() {
    try {
      const profile = await call("GET", CONF.api.profile);
      if (!profile.ok) {
        renderChrome();
        return false;
      }
      state.signedOut = false;
      state.csrf = profile.data.csrf_token;
      delete profile.data.csrf_token;
      const before = await kv("user");
      if (before && before !== profile.data.user.id) {
        // Another person signed in on this phone: forget the last one's cached call and
        // directory (their unsent records stay until they sign in again).
        await kv("work", null);
      }
      state.profile = profile.data;
      await kv("user", profile.data.user.id);
      await kv("profile", profile.data);
      const [work, resources, visits] = await Promise.all([
        call("GET", CONF.api.work),
        call("GET", CONF.api.resources),
        call("GET", CONF.api.outreach),
      ]);
      if (work.ok) {
        state.work = work.data;
        await kv("work", work.data);
        await adoptServerRecords(work.data);
      }
      if (resources.ok) {
        state.resources = resources.data.resources;
        await kv("resources", resources.data.resources);
      }
      if (visits.ok) {
        state.visits = visits.data.visits;
        await kv("visits", visits.data.visits);
      }
      state.lastSync = new Date().toISOString();
      await kv("lastSync", state.lastSync);
      return true;
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
      return false;
    }
  }

  async function adoptServerRecords(work) {
    // A record this phone holds that the server has newer (a teammate's edit, a reconcile):
    // take the server's version as the new base when nothing of ours waits to be sent.
    for (const a of work.assignments) {
      for (const rec of a.encounters) {
        const local = state.records.find((r) => r.server_id === rec.id && mine(r));
        if (!local) continue;
        const open = (rec.conflicts || [])[0] || null;
        if (JSON.stringify(open) !== JSON.stringify(local.conflict || null)) {
          local.conflict = open; // raised, or reconciled, from any of the user's devices
          await store.put("records", local);
        }
        if (rec.version <= local.version) continue;
        const pending = state.outbox.some((o) => o.record === local.client_id && o.state === "waiting");
        // Unsaved edits keep the version they were made on: saved later, the server compares
        // them with that version, so a teammate's newer change is never overwritten unseen.
        const drafting = local.draft_at && (!local.saved_at || local.draft_at > local.saved_at);
        if (pending || drafting) continue;
        Object.assign(local, { version: rec.version, base: rec.values, values: { ...rec.values }, conflict: open });
        await store.put("records", local);
        for (const o of state.outbox.filter((o) => o.record === local.client_id && o.state === "conflict")) {
          await store.del("outbox", o.id);
        }
      }
    }
    await loadLocal();
  }

  // --- the queue -------------------------------------------------------------------------------

  async function enqueue(op) {
    const seq = (await kv("seq")) || 0;
    await kv("seq", seq + 1);
    op.seq = seq + 1;
    op.user = userId();
    op.state = "waiting";
    op.tries = 0;
    op.created = new Date().toISOString();
    await store.put("outbox", op);
    await loadLocal();
  }

  async function syncNow() {
    if (state.syncing || !navigator.onLine) return;
    state.syncing = true;
    renderChrome();
    try {
      if (!state.csrf && navigator.onLine) await refresh(); // a write needs this session's token
      for (const op of [...state.outbox]) {
        if (!mine(op) || op.state !== "waiting") continue;
        const done = await send(op);
        if (!done) break; // offline or signed out: keep the order, try again later
      }
      if (navigator.onLine) await refresh();
      await prune();
    } finally {
      state.syncing = false;
      await loadLocal();
      render();
    }
  }

  async function send(op) {
    if (!op.url) {
      if (op.kind === "edit") {
        const rec = state.records.find((r) => r.client_id === op.record);
        if (!rec || !rec.server_id) return false; // its record is not on the server yet
        op.url = CONF.api.record.replace("{id}", rec.server_id);
        if (op.body.base_version === null || op.body.base_version === undefined) op.body.base_version = rec.version;
      }
    }
    op.tries += 1;
    op.state = "sending";
    await store.put("outbox", op);
    let answer;
    try {
      answer = await call(op.method, op.url, op.body, op.id);
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
      op.state = "waiting";
      await store.put("outbox", op);
      return false;
    }
    if (state.signedOut) {
      op.state = "waiting";
      await store.put("outbox", op);
      return false;
    }
    if (answer.ok) {
      await store.del("outbox", op.id);
      if (op.kind === "record" || op.kind === "edit") await synced(op, answer.data);
      return true;
    }
    if (answer.status === 409 && answer.data && answer.data.code === "conflict") {
      op.state = "conflict";
      op.error = answer.data.detail;
      op.reconcile = answer.data.reconcile_url;
      await store.put("outbox", op);
      const rec = state.records.find((r) => r.client_id === op.record);
      if (rec) {
        rec.conflict = { id: answer.data.conflict, url: answer.data.reconcile_url };
        await store.put("records", rec);
      }
      return true;
    }
    // Refused (bad input, not allowed, out of order): kept with the reason, never resent.
    op.state = "failed";
    op.error = reason(answer);
    await store.put("outbox", op);
    return true;
  }

  function reason(answer) {
    const d = answer.data;
    if (!d) return `refused (${answer.status})`;
    if (d.detail) return d.detail;
    return Object.entries(d)
      .map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`)
      .join("; ");
  }

  async function synced(op, data) {
    const rec = state.records.find((r) => r.client_id === op.record);
    if (!rec) return;
    const server = data.record;
    rec.server_id = server.id;
    rec.external_id = server.external_id;
    rec.version = server.version;
    rec.base = server.values;
    rec.values = { ...server.values };
    rec.writable = server.writable;
    rec.synced_at = new Date().toISOString();
    for (const r of rec.referrals) r.sent = true;
    if (rec.follow_up) rec.follow_up.sent = true;
    if (rec.consent) rec.consent.sent = true;
    await store.put("records", rec);
  }

  const KEEP_SYNCED = 2 * 86400000; // ms a synced record stays on the phone

  async function prune() {
    // Person data stays on the phone no longer than the field needs it.
    const now = Date.now();
    for (const rec of state.records) {
      const busy = state.outbox.some((o) => o.record === rec.client_id);
      if (!busy && rec.synced_at && now - Date.parse(rec.synced_at) > KEEP_SYNCED) {
        await store.del("records", rec.client_id);
      }
    }
    state.records = await store.all("records");
  }

  async function dropOp(id) {
    await store.del("outbox", id);
    await loadLocal();
    render();
  }

  // --- status buttons ----------------------------------------------------------------------------

  function nextMoves(assignment) {
    const flow = state.profile.status_flow;
    const kinds = flow.officer_kinds;
    return (flow.next[assignment.status] || [])
      .filter((s) => s !== "clearing" || kinds.includes(assignment.team.kind))
      .map((s) => ({ status: s, label: flow.labels[s] || s }));
  }

  const STAMP = { en_route: "en_route_at", on_scene: "on_scene_at", clearing: "officer_cleared_at", cleared: "cleared_at" };

  async function tapStatus(assignment, status) {
    const at = new Date().toISOString();
    assignment.status = status;
    assignment.status_label = state.profile.status_flow.status_labels[status];
    assignment.stamps[STAMP[status]] = at;
    assignment.moves = nextMoves(assignment);
    await kv("work", state.work);
    await enqueue({
      id: uuid(),
      kind: "status",
      method: "POST",
      url: CONF.api.status.replace("{id}", assignment.id),
      body: { status, at },
      label: `${assignment.status_label} · ${assignment.team.name}`,
    });
    toast(`${assignment.status_label} at ${clock(at)}${navigator.onLine ? "" : " (saved on this phone)"}`);
    render();
    syncNow();
  }

  // --- views -----------------------------------------------------------------------------------

  function setView(view) {
    state.view = view;
    for (const a of document.querySelectorAll(".fa-tabs a")) {
      if (a.dataset.tab === view) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  function render() {
    renderChrome();
    if (!state.profile) {
      show(
        h("div", { class: "fa-card" },
          h("h1", { text: "Coresponse Field" }),
          state.signedOut
            ? h("p", {}, "Sign in to start. ", h("a", { href: CONF.login }, "Sign in"))
            : h("p", { text: "Connect to the network once to load your team and the directory." }))
      );
      return;
    }
    const view = state.view;
    if (view === "record") {
      // Never redrawn under the user's thumb: a background sync leaves the form alone.
      if (!state.formRendered) renderRecord();
    } else {
      state.formRendered = false;
      if (view === "resources") renderResources();
      else if (view === "sync") renderSync();
      else renderCall();
    }
  }

  function renderChrome() {
    const pill = document.getElementById("sync-pill");
    const n = waiting().filter((o) => o.kind !== "status").length;
    const taps = waiting().filter((o) => o.kind === "status").length;
    const problems = needsYou().length;
    const online = navigator.onLine;
    pill.className = "fa-sync " + (!online ? "is-offline" : problems ? "is-alert" : n + taps ? "is-waiting" : "is-ok");
    let text;
    if (state.syncing && online) text = "Syncing…";
    else if (n) text = `${plural(n, "record")} waiting to sync`;
    else if (taps) text = `${plural(taps, "update")} waiting`;
    else if (problems) text = `${problems} need${problems === 1 ? "s" : ""} you`;
    else text = online ? "All synced" : "Offline";
    pill.textContent = text;
    pill.title = online ? text : `Offline: ${text}`;
    document.getElementById("sync-detail").textContent = state.lastSync
      ? `Last synced ${clock(state.lastSync)}`
      : "Not synced yet";
    const count = document.getElementById("tab-count");
    const total = n + taps + problems;
    count.textContent = total;
    count.hidden = !total;
    if (state.signedOut) {
      banner("Your session ended. Records stay on this phone until you sign in again.", { href: CONF.login, text: "Sign in" });
    } else if (!online) {
      banner("Offline: what you record is kept on this phone and synced when the network returns.");
    } else if (othersWaiting().length) {
      banner(`${plural(othersWaiting().length, "record")} of another user wait on this phone for them to sign in.`);
    } else {
      banner("");
    }
  }

  function heading(text, sub) {
    return h("div", { class: "fa-head" }, h("h1", { id: "view-title", tabindex: "-1", text }), sub ? h("p", { class: "fa-sub", text: sub }) : null);
  }

  function priority(p) {
    const tone = p === 1 ? "alert" : p === 2 ? "warn" : "neutral";
    return h("span", { class: `badge badge-${tone}` }, h("span", { class: "visually-hidden", text: "Priority " }), p ? `P${p}` : "P–");
  }

  function recordFor(assignment) {
    return state.records.find((r) => mine(r) && r.assignment === assignment.id);
  }

  function renderCall() {
    const work = state.work;
    const parts = [];
    if (!work || !work.on_team) {
      parts.push(heading("Your call", "You are not on a team roster, so no call is dispatched to you."));
    } else if (!work.assignments.length) {
      const teams = work.teams.map((t) => `${t.name}: ${t.status_label.toLowerCase()}` + (t.shift_ends ? ` until ${clock(t.shift_ends)}` : ""));
      parts.push(heading("No call right now", teams.join(" · ")));
    } else {
      parts.push(heading(work.assignments.length > 1 ? "Your calls" : "Your call"));
    }
    for (const a of (work && work.assignments) || []) parts.push(assignmentCard(a));
    parts.push(visitsCard());
    show(...parts);
  }

  function assignmentCard(a) {
    const c = a.call;
    const rec = recordFor(a);
    const serverRec = a.encounters.find((e) => e.editable);
    const moves = a.moves && a.moves.length ? a.moves : nextMoves(a);
    const stamps = [
      ["Dispatched", a.stamps.dispatched_at],
      ["En route", a.stamps.en_route_at],
      ["On scene", a.stamps.on_scene_at],
      ...(state.profile.status_flow.officer_kinds.includes(a.team.kind) ? [["Officer cleared", a.stamps.officer_cleared_at]] : []),
      ["Cleared", a.stamps.cleared_at],
    ];
    return h("section", { class: `fa-card fa-call status-${a.status}`, "aria-labelledby": `call-${a.id}` },
      h("div", { class: "fa-call-top" }, priority(c.priority), h("span", { class: "badge badge-info", text: a.status_label }), h("span", { class: "fa-muted", text: a.team.name })),
      h("h2", { id: `call-${a.id}`, class: "fa-call-type", text: c.call_type }),
      h("p", { class: "fa-address" }, c.address || "No address given", c.district ? h("span", { class: "fa-muted", text: ` · ${c.district}` }) : null),
      h("p", { class: "fa-muted fa-small", text: `${c.external_id} · ${c.source} · received ${clock(c.received_at)}` }),
      c.triage ? h("p", { class: "fa-triage" }, h("strong", { text: c.triage.label + ". " }), c.triage.explanation) : null,
      c.frequent_caller ? h("p", {}, h("span", { class: "badge badge-info", text: "Frequent caller" })) : null,
      c.narrative ? h("p", { class: "fa-narrative", text: c.narrative }) : null,
      moves.length ? h("p", { class: "fa-moves-label", text: "Team status" }) : null,
      h("div", { class: "fa-moves" },
        moves.map((m, i) => h("button", { type: "button", class: `fa-big ${i === 0 ? "fa-big-primary" : ""}`, onclick: () => tapStatus(a, m.status) }, m.label))),
      h("ol", { class: "fa-stamps", "aria-label": "Status times" },
        stamps.map(([label, at]) => h("li", { class: at ? "is-done" : "" }, h("span", { text: label }), h("time", { text: clock(at) })))),
      personPanel(a),
      alertPanel(a),
      h("div", { class: "fa-actions" },
        rec || serverRec
          ? h("button", { type: "button", class: "fa-big fa-big-secondary", onclick: () => openRecord(a, serverRec) }, rec && !rec.server_id ? "Continue the encounter" : "Edit the encounter")
          : h("button", { type: "button", class: "fa-big fa-big-primary", onclick: () => openRecord(a) }, "Record the encounter"))
    );
  }

  function personPanel(a) {
    const shown = a.encounters.map((e) => e.person).filter(Boolean);
    if (!shown.length) return null;
    return h("div", { class: "fa-person" },
      h("h3", { text: "Person" }),
      shown.map((p) => p.shown
        ? h("p", {}, h("strong", { text: p.name }), p.dob ? ` · born ${p.dob}` : "", h("span", { class: "fa-muted", text: ` · record of ${p.held_by}` }))
        : h("p", { class: "fa-muted", text: `Person record held by ${p.held_by} (not shown to your role)` })));
  }

  // THE CRISIS ALERT PANEL. The lead's lookup (interop: /api/v1/alerts/lookup) answers what
  // responders may know of the person; the app asks with `alert_query` (only what this user
  // may see of the person and the address) and shows the answer here. Until the lookup is
  // served, the panel says so.
  const alerts = {};
  function alertPanel(a) {
    const panel = h("div", { class: "fa-alert", "aria-live": "polite" }, h("h3", { text: "Crisis alert" }));
    const known = alerts[a.id];
    if (known) panel.append(known);
    else {
      panel.append(h("p", { class: "fa-muted", text: navigator.onLine ? "Checking…" : "Not checked: offline." }));
      if (navigator.onLine) loadAlert(a, panel);
    }
    return panel;
  }

  async function loadAlert(a, panel) {
    const query = {};
    for (const [k, v] of Object.entries(a.alert_query || {})) if (v) query[k] = v;
    let node;
    if (!CONF.api.alert) {
      panel.replaceChildren(h("h3", { text: "Crisis alert" }), h("p", { class: "fa-muted", text: "The crisis alert service is not available here." }));
      return;
    }
    if (!["first_name", "last_name", "dob", "address", "phone"].some((k) => query[k])) {
      node = h("p", { class: "fa-muted", text: "No address or person to look up yet." });
      alerts[a.id] = node;
      panel.replaceChildren(h("h3", { text: "Crisis alert" }), node);
      return;
    }
    try {
      if (!state.csrf) await refresh();
      const answer = await call("POST", CONF.api.alert, query);
      if (answer.ok && answer.data) node = alertBody(answer.data);
      else if (answer.status === 404) node = h("p", { class: "fa-muted", text: "The crisis alert service is not available here." });
      else node = h("p", { class: "fa-muted", text: "No crisis alert could be read for this call." });
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
      node = h("p", { class: "fa-muted", text: "Not checked: offline." });
    }
    alerts[a.id] = node;
    panel.replaceChildren(h("h3", { text: "Crisis alert" }), node);
  }

  function alertBody(d) {
    if (!d.found) return h("p", { class: "fa-muted", text: "Nothing on file that you may see." });
    const line = (label, value) => (value ? h("li", {}, h("strong", { text: `${label}: ` }), value) : null);
    const contacts = [].concat(d.who_to_call || []).filter(Boolean).map((c) => [c.name, c.role, c.phone].filter(Boolean).join(", "));
    return h("div", {},
      d.name ? h("p", {}, h("strong", { text: d.name }), d.dob ? ` · born ${d.dob}` : "") : null,
      h("ul", { class: "fa-list" },
        line("In care", d.engaged_in_care ? `yes${d.care_providers && d.care_providers.length ? ` (${d.care_providers.join(", ")})` : ""}` : "no"),
        line("Who to call now", contacts.join("; ")),
        line("Prior crisis contacts", String(d.prior_crisis_contacts || 0)),
        line("Safety plan", (d.safety_plan_highlights || []).join("; ")),
        line("De-escalation", (d.de_escalation_tips || []).join("; ")),
        line("Responder safety", (d.responder_safety || []).join(" "))),
      (d.shown_because || []).length ? h("p", { class: "fa-hint", text: `Shown because ${d.shown_because.join("; ")}.` }) : null);
  }

  function visitsCard() {
    if (!state.visits.length) {
      return h("section", { class: "fa-card fa-quiet" },
        h("h2", { text: "Outreach" }),
        h("p", { class: "fa-muted", text: "No outreach visits are planned for you." }));
    }
    return h("section", { class: "fa-card" },
      h("h2", { text: "Outreach planned for you" }),
      h("ul", { class: "fa-visits" },
        state.visits.map((v) => h("li", {},
          h("div", {}, h("strong", { text: v.person }), h("br"), h("span", { class: "fa-muted", text: `${day(v.scheduled_for)} ${clock(v.scheduled_for)} · ${v.program_name}` }), v.purpose ? h("br") : null, v.purpose || null),
          h("button", { type: "button", class: "btn btn-secondary", onclick: () => openVisit(v) }, "Record visit")))));
  }

  // --- the encounter form -------------------------------------------------------------------

  function blankValues() {
    return { presenting_concerns: [], services: [], disposition: "" };
  }

  async function openRecord(assignment, serverRec) {
    let rec = recordFor(assignment);
    if (!rec && serverRec) {
      rec = {
        client_id: serverRec.client_id || `server-${serverRec.id}`,
        user: userId(),
        server_id: serverRec.id,
        external_id: serverRec.external_id,
        version: serverRec.version,
        base: serverRec.values,
        values: { ...serverRec.values },
        writable: serverRec.writable,
        conflict: serverRec.conflicts && serverRec.conflicts[0],
        assignment: assignment.id,
        kind: serverRec.kind,
        person: null,
        person_label: serverRec.person && serverRec.person.shown ? serverRec.person.name : "",
        referrals: [],
        follow_up: null,
        consent: null,
        label: `${assignment.call.call_type} · ${assignment.call.address || assignment.call.external_id}`,
      };
      await store.put("records", rec);
    }
    if (!rec) {
      rec = newRecord({ assignment: assignment.id, kind: "crisis", label: `${assignment.call.call_type} · ${assignment.call.address || assignment.call.external_id}` });
      await store.put("records", rec);
    }
    await loadLocal();
    state.form = rec.client_id;
    location.hash = "#record";
  }

  async function openVisit(visit) {
    let rec = state.records.find((r) => mine(r) && r.outreach_visit === visit.id);
    if (!rec) {
      rec = newRecord({ outreach_visit: visit.id, program: visit.program, kind: "outreach", label: `Outreach · ${visit.person}` });
      rec.person = { id: visit.person_id };
      rec.person_label = visit.person;
      await store.put("records", rec);
      await loadLocal();
    }
    state.form = rec.client_id;
    location.hash = "#record";
  }

  function newRecord(extra) {
    return Object.assign(
      {
        client_id: uuid(),
        user: userId(),
        server_id: null,
        version: null,
        base: null,
        values: blankValues(),
        person: { first_name: "", last_name: "", dob: "", phone: "" },
        referrals: [],
        follow_up: null,
        consent: null,
        started: new Date().toISOString(),
      },
      extra
    );
  }

  function currentRecord() {
    return state.records.find((r) => r.client_id === state.form && mine(r));
  }

  function renderRecord() {
    state.formRendered = true;
    const rec = currentRecord();
    if (!rec) {
      const drafts = state.records.filter((r) => mine(r) && !r.server_id);
      show(
        heading("Record", "Start from your call, or record an outreach visit or a walk-in."),
        h("div", { class: "fa-card" },
          h("button", { type: "button", class: "fa-big fa-big-primary", onclick: () => (location.hash = "#call") }, "Go to your call"),
          state.profile.programs.length
            ? h("button", { type: "button", class: "fa-big fa-big-secondary", onclick: startOutreach }, "Record an outreach visit")
            : null),
        drafts.length ? h("section", { class: "fa-card" }, h("h2", { text: "On this phone" }),
          h("ul", { class: "fa-list" }, drafts.map((d) => h("li", {}, h("a", { href: "#record", onclick: (e) => { e.preventDefault(); state.form = d.client_id; state.formRendered = false; render(); } }, d.label || "Encounter"))))) : null
      );
      return;
    }
    formWritable = rec.writable || null;
    const form = encounterForm(rec);
    // A draft survives the phone locking or the app closing: kept a second after each change.
    let timer = null;
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        rec.values = readForm(rec, form);
        rec.draft_at = new Date().toISOString();
        await store.put("records", stripPad(rec));
      }, 1000);
    });
    show(form);
  }

  async function startOutreach() {
    const program = state.profile.programs[0];
    const rec = newRecord({ kind: "outreach", program: program.id, label: "Outreach visit" });
    await store.put("records", rec);
    await loadLocal();
    state.form = rec.client_id;
    state.formRendered = false;
    render();
  }

  // What the user may record: for a record already on the server, the server said (the
  // person's record may be another agency's); for a new one, the profile's answer.
  let formWritable = null;
  const can = (category) => (formWritable || state.profile.writable).includes(category);

  function chipGroup(name, legend, options, selected, onChange) {
    return h("fieldset", { class: "fa-field" },
      h("legend", { text: legend }),
      h("div", { class: "fa-chips" },
        options.map((o) => {
          const id = `${name}-${o.value}`;
          return h("label", { class: "fa-chip", for: id },
            h("input", { type: "checkbox", id, name, value: o.value, checked: selected.includes(o.value), onchange: onChange }),
            h("span", { text: o.label }));
        })));
  }

  function encounterForm(rec) {
    const p = state.profile;
    const ch = p.choices;
    const v = rec.values;
    const form = h("form", { class: "fa-form", novalidate: true, onsubmit: (e) => { e.preventDefault(); saveRecord(rec, form); } });
    const title = rec.server_id ? `Encounter ${rec.external_id || ""}`.trim() : rec.kind === "outreach" ? "Outreach visit" : "New encounter";
    form.append(heading(title, rec.label || ""));
    if (rec.conflict) {
      form.append(h("p", { class: "fa-warn" }, "Changed on the server too: reconcile it before editing again. ", h("a", { href: rec.conflict.url }, "Reconcile")));
    }

    // Who
    const who = h("fieldset", { class: "fa-field fa-person-fields" }, h("legend", { text: "Person" }));
    if (rec.server_id || (rec.person && rec.person.id)) {
      who.append(h("p", { text: rec.person_label || "The person of this record." }));
    } else {
      const person = rec.person || {};
      for (const [key, label, type, auto] of [["first_name", "First name", "text", "given-name"], ["last_name", "Last name", "text", "family-name"], ["dob", "Date of birth (if known)", "date", "bday"], ["phone", "Phone (if known)", "tel", "tel"]]) {
        who.append(h("div", { class: "fa-input" }, h("label", { for: `p-${key}`, text: label }), h("input", { id: `p-${key}`, name: `person.${key}`, type, autocomplete: auto, value: person[key] || "" })));
      }
      who.append(h("p", { class: "fa-hint", text: "Leave blank when the person is not identified." }));
    }
    form.append(who);

    if (can("mental_health")) {
      const concerns = ch.concerns.filter((c) => can(c.category));
      form.append(chipGroup("concerns", "Presenting concerns", concerns, v.presenting_concerns || [], () => {}));
    }
    form.append(chipGroup("services", "Services provided", ch.services, v.services || [], () => {}));

    form.append(h("fieldset", { class: "fa-field" }, h("legend", { text: "Disposition" }),
      h("div", { class: "fa-options" },
        ch.dispositions.map((d) => h("label", { class: "fa-option", for: `d-${d.value}` },
          h("input", { type: "radio", id: `d-${d.value}`, name: "disposition", value: d.value, checked: v.disposition === d.value }),
          h("span", { text: d.label }))))));

    const flags = ch.flags.filter((f) => can(f.category));
    if (flags.length) {
      form.append(h("fieldset", { class: "fa-field" }, h("legend", { text: "What happened" }),
        h("div", { class: "fa-toggles" },
          flags.map((f) => h("label", { class: "fa-toggle", for: `f-${f.key}` },
            h("input", { type: "checkbox", id: `f-${f.key}`, name: `flag.${f.key}`, role: "switch", checked: !!v[f.key],
              onchange: (e) => {
                if (f.key === "jail_booking" && e.target.checked) form.querySelector("#f-arrest").checked = true;
                if (f.key === "arrest" && !e.target.checked) form.querySelector("#f-jail_booking").checked = false;
              } }),
            h("span", { text: f.label }))))));
    }

    const notes = ch.notes.filter((n) => can(n.category));
    if (notes.length) {
      const box = h("fieldset", { class: "fa-field" }, h("legend", { text: "Notes" }),
        h("p", { class: "fa-hint", text: "Each note is kept under its data category: only roles allowed that category see it." }));
      for (const n of notes) {
        const id = `n-${n.category}`;
        box.append(h("div", { class: "fa-input" },
          h("label", { for: id }, n.label, n.category === "substance_use" ? h("span", { class: "fa-muted", text: " · 42 CFR Part 2" }) : null),
          h("textarea", { id, name: `notes.${n.category}`, rows: 3 }, v[`notes.${n.category}`] || "")));
      }
      form.append(box);
    }

    form.append(referralBox(rec));
    form.append(followUpBox(rec));
    form.append(consentBox(rec));
    form.append(h("div", { class: "fa-save" },
      h("button", { type: "submit", class: "fa-big fa-big-primary" }, rec.server_id ? "Save changes" : "Save"),
      h("p", { class: "fa-hint", text: navigator.onLine ? "Saved on this phone first, then sent." : "Offline: saved on this phone and sent when the network returns." })));
    return form;
  }

  function referralBox(rec) {
    const box = h("fieldset", { class: "fa-field", id: "referrals" }, h("legend", { text: "Referrals" }));
    const chosen = h("ul", { class: "fa-chosen" });
    const draw = () => {
      chosen.replaceChildren(...rec.referrals.map((r, i) => h("li", {},
        h("span", {}, h("strong", { text: r.name }), h("br"), h("span", { class: "fa-muted", text: r.service_label + (r.sent ? " · sent" : "") })),
        r.sent ? null : h("button", { type: "button", class: "btn btn-secondary", onclick: () => { rec.referrals.splice(i, 1); draw(); } }, "Remove"))));
      if (!rec.referrals.length) chosen.append(h("li", { class: "fa-muted", text: "None yet." }));
    };
    draw();
    const need = h("select", { id: "ref-need", "aria-label": "Kind of service" },
      h("option", { value: "" }, "Any service"),
      state.profile.choices.service_types.map((s) => h("option", { value: s.value }, s.label)));
    const openNow = h("input", { type: "checkbox", id: "ref-open" });
    const results = h("ul", { class: "fa-results" });
    const search = () => {
      const found = findResources({ need: need.value, openNow: openNow.checked }).slice(0, 6);
      results.replaceChildren(...found.map((f) => h("li", {},
        h("span", {}, h("strong", { text: f.r.name }), h("br"), h("span", { class: "fa-muted", text: resourceLine(f) })),
        h("button", { type: "button", class: "btn btn-secondary", "aria-label": `Refer to ${f.r.name}`, onclick: () => {
          if (!rec.referrals.some((x) => x.resource === f.r.id)) rec.referrals.push({ client_id: uuid(), resource: f.r.id, name: f.r.name, service_label: f.r.service_label });
          draw();
        } }, "Refer"))));
      if (!found.length) results.append(h("li", { class: "fa-muted", text: "Nothing matches." }));
    };
    need.addEventListener("change", search);
    openNow.addEventListener("change", search);
    search();
    box.append(chosen,
      h("div", { class: "fa-find" }, need, h("label", { class: "fa-inline", for: "ref-open" }, openNow, " Open now")),
      results);
    return box;
  }

  function followUpBox(rec) {
    const f = rec.follow_up || {};
    const today = new Date();
    const options = [["", "No follow-up"], [1, "Tomorrow"], [2, "In 2 days"], [3, "In 3 days"], [7, "In a week"]];
    const dateInput = h("input", { type: "date", id: "fu-date", name: "fu.date", value: f.due || "", min: isoDate(today) });
    const box = h("fieldset", { class: "fa-field" }, h("legend", { text: "Follow-up" }));
    if (f.sent) {
      box.append(h("p", { text: `Planned for ${f.due} (sent).` }));
      return box;
    }
    box.append(h("div", { class: "fa-chips" }, options.map(([days, label]) => {
      const id = `fu-${days || "none"}`;
      const due = days ? isoDate(new Date(today.getTime() + days * 86400000)) : "";
      return h("label", { class: "fa-chip", for: id },
        h("input", { type: "radio", id, name: "fu.quick", value: due, checked: (f.due || "") === due, onchange: () => (dateInput.value = due) }),
        h("span", { text: label }));
    })));
    box.append(h("div", { class: "fa-input" }, h("label", { for: "fu-date", text: "Or a day" }), dateInput));
    box.append(h("div", { class: "fa-chips" }, state.profile.choices.contact_methods.map((m) => h("label", { class: "fa-chip", for: `fm-${m.value}` },
      h("input", { type: "radio", id: `fm-${m.value}`, name: "fu.method", value: m.value, checked: (f.method || "phone") === m.value }),
      h("span", { text: m.label })))));
    box.append(h("label", { class: "fa-inline", for: "fu-me" }, h("input", { type: "checkbox", id: "fu-me", name: "fu.me", checked: !!f.assign_to_me }), " I will do it myself"));
    return box;
  }

  function consentBox(rec) {
    const c = rec.consent || {};
    const ch = state.profile.choices;
    const box = h("fieldset", { class: "fa-field" }, h("legend", { text: "Consent to share" }));
    if (c.sent) {
      box.append(h("p", { text: "The person's consent was recorded." }));
      return box;
    }
    const on = h("input", { type: "checkbox", id: "c-on", name: "c.on", checked: !!c.on });
    const details = h("div", { class: "fa-consent", hidden: !c.on });
    on.addEventListener("change", () => { details.hidden = !on.checked; if (on.checked) pad.fit(); });
    box.append(h("label", { class: "fa-inline", for: "c-on" }, on, " The person agrees to share information"));
    const year = new Date();
    year.setFullYear(year.getFullYear() + 1);
    details.append(
      h("div", { class: "fa-input" }, h("label", { for: "c-to", text: "With" }),
        h("select", { id: "c-to", name: "c.to" }, ch.recipients.map((r) => h("option", { value: r.value, selected: c.to === r.value }, r.label)))),
      h("fieldset", { class: "fa-sub-field" }, h("legend", { text: "What" }), h("div", { class: "fa-chips" },
        ch.categories.map((k) => h("label", { class: "fa-chip", for: `cc-${k.value}` },
          h("input", { type: "checkbox", id: `cc-${k.value}`, name: "c.categories", value: k.value, checked: (c.categories || ["identity", "contact_plan"]).includes(k.value) }),
          h("span", { text: k.label }))))),
      h("fieldset", { class: "fa-sub-field" }, h("legend", { text: "For" }), h("div", { class: "fa-chips" },
        ch.purposes.map((k) => h("label", { class: "fa-chip", for: `cp-${k.value}` },
          h("input", { type: "checkbox", id: `cp-${k.value}`, name: "c.purposes", value: k.value, checked: (c.purposes || ["treatment", "care_coordination"]).includes(k.value) }),
          h("span", { text: k.label }))))),
      h("div", { class: "fa-input" }, h("label", { for: "c-until", text: "Until" }), h("input", { type: "date", id: "c-until", name: "c.until", value: c.expires || isoDate(year) })),
      h("div", { class: "fa-input" }, h("label", { for: "c-name", text: "Signed by (the person or their representative)" }), h("input", { type: "text", id: "c-name", name: "c.name", value: c.signed_by || "", autocomplete: "off" })),
      h("p", { class: "fa-hint", text: "They may revoke it at any time; revoking stops sharing at once." })
    );
    const pad = signaturePad(c.signature);
    details.append(pad.element);
    box.append(details);
    box.pad = pad;
    rec._pad = pad;
    return box;
  }

  function signaturePad(initial) {
    const canvas = h("canvas", { class: "fa-signature", width: 600, height: 200, "aria-label": "Signature: sign with a finger" });
    const ctx = canvas.getContext("2d");
    let drawing = false;
    let marked = false;
    const fit = () => {
      const w = canvas.clientWidth || 300;
      if (canvas.width !== w * 2) {
        canvas.width = w * 2;
        canvas.height = 160 * 2;
        ctx.lineWidth = 4;
        ctx.lineCap = "round";
        ctx.strokeStyle = "#14232e";
      }
    };
    const pos = (e) => {
      const r = canvas.getBoundingClientRect();
      return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
    };
    canvas.addEventListener("pointerdown", (e) => {
      fit();
      drawing = true;
      canvas.setPointerCapture(e.pointerId);
      ctx.beginPath();
      ctx.moveTo(...pos(e));
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      ctx.lineTo(...pos(e));
      ctx.stroke();
      marked = true;
    });
    canvas.addEventListener("pointerup", () => (drawing = false));
    canvas.addEventListener("pointercancel", () => (drawing = false));
    if (initial) {
      const img = new Image();
      img.onload = () => { fit(); ctx.drawImage(img, 0, 0, canvas.width, canvas.height); marked = true; };
      img.src = initial;
    }
    const clear = h("button", { type: "button", class: "btn btn-secondary", onclick: () => { ctx.clearRect(0, 0, canvas.width, canvas.height); marked = false; } }, "Clear signature");
    return {
      element: h("div", { class: "fa-signature-box" }, h("p", { class: "fa-label", text: "Signature" }), canvas, clear),
      fit,
      value: () => (marked ? canvas.toDataURL("image/png") : ""),
    };
  }

  function readForm(rec, form) {
    const data = new FormData(form);
    const values = {};
    if (can("mental_health")) values.presenting_concerns = data.getAll("concerns");
    values.services = data.getAll("services");
    values.disposition = data.get("disposition") || "";
    for (const f of state.profile.choices.flags) if (can(f.category)) values[f.key] = data.get(`flag.${f.key}`) !== null;
    for (const n of state.profile.choices.notes) if (can(n.category)) values[`notes.${n.category}`] = (data.get(`notes.${n.category}`) || "").trim();
    if (!rec.server_id && !(rec.person && rec.person.id)) {
      rec.person = {
        first_name: (data.get("person.first_name") || "").trim(),
        last_name: (data.get("person.last_name") || "").trim(),
        dob: data.get("person.dob") || "",
        phone: (data.get("person.phone") || "").trim(),
      };
      rec.person_label = `${rec.person.first_name} ${rec.person.last_name}`.trim();
    }
    if (!(rec.follow_up && rec.follow_up.sent)) {
      const due = data.get("fu.date") || "";
      rec.follow_up = due ? { client_id: (rec.follow_up && rec.follow_up.client_id) || uuid(), due, method: data.get("fu.method") || "phone", assign_to_me: data.get("fu.me") !== null } : null;
    }
    if (!(rec.consent && rec.consent.sent)) {
      if (data.get("c.on") !== null) {
        rec.consent = {
          on: true,
          client_id: (rec.consent && rec.consent.client_id) || uuid(),
          to: data.get("c.to"),
          categories: data.getAll("c.categories"),
          purposes: data.getAll("c.purposes"),
          expires: data.get("c.until"),
          signed_by: (data.get("c.name") || "").trim(),
          signature: rec._pad ? rec._pad.value() : "",
        };
      } else rec.consent = null;
    }
    return values;
  }

  function problemsOf(rec, values) {
    const problems = [];
    const hasPerson = rec.server_id ? !!rec.person_label : rec.person && (rec.person.id || rec.person.first_name || rec.person.last_name);
    if ((rec.referrals.some((r) => !r.sent) || (rec.follow_up && !rec.follow_up.sent) || (rec.consent && !rec.consent.sent)) && !hasPerson) {
      problems.push("Referrals, a follow-up and a consent need the person's name.");
    }
    if (rec.consent && !rec.consent.sent) {
      if (!rec.consent.signed_by) problems.push("Consent: the name of who signs.");
      if (!rec.consent.signature) problems.push("Consent: the person signs on the screen.");
      if (!rec.consent.categories.length) problems.push("Consent: choose what may be shared.");
      if (!rec.consent.purposes.length) problems.push("Consent: choose what for.");
    }
    if (values.jail_booking && !values.arrest) problems.push("A jail booking needs an arrest.");
    return problems;
  }

  function changedKeys(rec, values) {
    const out = {};
    for (const [k, v] of Object.entries(values)) {
      if (JSON.stringify(v) !== JSON.stringify(rec.base ? rec.base[k] : undefined)) out[k] = v;
    }
    return out;
  }

  function carePart(rec) {
    const part = {};
    const referrals = rec.referrals.filter((r) => !r.sent).map((r) => ({ client_id: r.client_id, resource: r.resource }));
    if (referrals.length) part.referrals = referrals;
    if (rec.follow_up && !rec.follow_up.sent) part.follow_up = rec.follow_up;
    if (rec.consent && !rec.consent.sent) {
      const c = rec.consent;
      part.consent = { client_id: c.client_id, to: c.to, categories: c.categories, purposes: c.purposes, expires: c.expires, signed_by: c.signed_by, signature: c.signature };
    }
    return part;
  }

  async function saveRecord(rec, form) {
    const values = readForm(rec, form);
    const problems = problemsOf(rec, values);
    const old = form.querySelector(".form-error");
    if (old) old.remove();
    if (problems.length) {
      const box = h("div", { class: "form-error", role: "alert", tabindex: "-1" }, h("p", { text: "Not saved yet:" }), h("ul", {}, problems.map((p) => h("li", { text: p }))));
      form.querySelector(".fa-save").before(box);
      box.focus();
      return;
    }
    rec.values = values;
    rec.saved_at = new Date().toISOString();
    if (rec.kind === "outreach" && rec.person_label) rec.label = `Outreach · ${rec.person_label}`;
    const recordedAt = rec.started || rec.saved_at;
    const pending = state.outbox.find((o) => o.record === rec.client_id && o.state === "waiting" && o.tries === 0);
    if (!rec.server_id && !state.outbox.some((o) => o.record === rec.client_id && o.kind === "record" && o.tries > 0)) {
      // Never sent: the create carries everything (rewritten in place while unsent).
      const bodyOut = {
        client_id: rec.client_id,
        kind: rec.kind,
        recorded_at: recordedAt,
        values,
        ...carePart(rec),
      };
      if (rec.assignment) bodyOut.assignment = rec.assignment;
      if (rec.program) bodyOut.program = rec.program;
      if (rec.outreach_visit) bodyOut.outreach_visit = rec.outreach_visit;
      if (rec.person && (rec.person.id || rec.person.first_name || rec.person.last_name)) bodyOut.person = rec.person;
      await store.put("records", stripPad(rec));
      if (pending && pending.kind === "record") {
        pending.body = bodyOut;
        await store.put("outbox", pending);
        await loadLocal();
      } else {
        await enqueue({ id: uuid(), kind: "record", method: "POST", url: CONF.api.records, record: rec.client_id, body: bodyOut, label: rec.label || "Encounter" });
      }
    } else {
      const changes = changedKeys(rec, values);
      const care = carePart(rec);
      if (!Object.keys(changes).length && !Object.keys(care).length) {
        toast("Nothing changed.");
        return;
      }
      await store.put("records", stripPad(rec));
      const edit = { base_version: rec.version, recorded_at: rec.saved_at, values: changes, ...care };
      if (pending && pending.kind === "edit") {
        pending.body = edit;
        await store.put("outbox", pending);
        await loadLocal();
      } else {
        await enqueue({ id: uuid(), kind: "edit", method: "PATCH", url: null, record: rec.client_id, body: edit, label: rec.label || "Encounter" });
      }
    }
    toast(navigator.onLine ? "Saved. Sending…" : "Saved on this phone. It will sync when the network returns.");
    state.form = null;
    location.hash = "#sync";
    syncNow();
  }

  function stripPad(rec) {
    const copy = { ...rec };
    delete copy._pad;
    return copy;
  }

  // --- the directory ---------------------------------------------------------------------------

  const DAY_MS = 86400000;

  function localParts(at) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: state.profile.time_zone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(at);
    const get = (t) => parts.find((p) => p.type === t).value;
    const weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(get("weekday"));
    return { weekday, minute: Number(get("hour")) * 60 + Number(get("minute")) };
  }

  function isOpen(r, at) {
    // The same rule as care.selectors.is_open, for a phone without network.
    if (r.open_24_7) return true;
    if (!r.opening_hours || !r.opening_hours.length) return null;
    const { weekday, minute } = localParts(at);
    const mins = (t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
    for (const rule of r.opening_hours) {
      const days = rule.days || [0, 1, 2, 3, 4, 5, 6];
      const o = mins(rule.open), c = mins(rule.close);
      if (c > o) {
        if (days.includes(weekday) && minute >= o && minute < c) return true;
      } else if ((days.includes(weekday) && minute >= o) || (days.includes((weekday + 6) % 7) && minute < c)) return true;
    }
    return false;
  }

  function km(lat1, lon1, lat2, lon2) {
    const rad = (d) => (d * Math.PI) / 180;
    const dp = rad(lat2 - lat1), dl = rad(lon2 - lon1);
    const a = Math.sin(dp / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dl / 2) ** 2;
    return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function origin() {
    const a = state.work && state.work.assignments && state.work.assignments[0];
    if (a && a.call.latitude !== null && a.call.longitude !== null) return { lat: a.call.latitude, lon: a.call.longitude, from: "the call" };
    if (state.here) return { ...state.here, from: "you" };
    return null;
  }

  function findResources({ need = "", openNow = false, eligibility = "", q = "" }) {
    const now = new Date();
    const from = origin();
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    const found = [];
    for (const r of state.resources) {
      if (need && r.service_type !== need) continue;
      if (eligibility && !(r.eligibility_tags || []).includes(eligibility)) continue;
      if (words.length) {
        const text = `${r.name} ${r.description} ${r.eligibility}`.toLowerCase();
        if (!words.every((w) => text.includes(w))) continue;
      }
      const open = isOpen(r, now);
      if (openNow && open !== true) continue;
      const dist = from && r.latitude !== null && r.longitude !== null ? km(from.lat, from.lon, r.latitude, r.longitude) : null;
      found.push({ r, open, dist });
    }
    if (from) found.sort((a, b) => (a.dist === null) - (b.dist === null) || (a.dist || 0) - (b.dist || 0));
    return found;
  }

  function resourceLine(f, withOpen = true) {
    const bits = [f.r.service_label];
    if (withOpen && f.open === true) bits.push("open now");
    else if (withOpen && f.open === false) bits.push("closed now");
    if (f.dist !== null) bits.push(`${(f.dist / 1.609344).toFixed(1)} mi`);
    if (f.r.available_today !== null) bits.push(`${f.r.available_today} open today`);
    return bits.join(" · ");
  }

  function renderResources() {
    const ch = state.profile.choices;
    const saved = state.resourceSearch || { need: "", openNow: false, eligibility: "", q: "" };
    const need = h("select", { id: "rs-need" }, h("option", { value: "" }, "Any service"), ch.service_types.map((s) => h("option", { value: s.value, selected: saved.need === s.value }, s.label)));
    const elig = h("select", { id: "rs-elig" }, h("option", { value: "" }, "Anyone"), ch.eligibility.map((s) => h("option", { value: s.value, selected: saved.eligibility === s.value }, s.label)));
    const q = h("input", { type: "search", id: "rs-q", value: saved.q, placeholder: "e.g. women, MAT, walk-in" });
    const openNow = h("input", { type: "checkbox", id: "rs-open", checked: saved.openNow });
    const list = h("ul", { class: "fa-resources", "aria-live": "polite" });
    const run = () => {
      state.resourceSearch = { need: need.value, openNow: openNow.checked, eligibility: elig.value, q: q.value };
      const found = findResources(state.resourceSearch);
      list.replaceChildren(...found.map((f) => resourceItem(f)));
      if (!found.length) list.append(h("li", { class: "fa-muted", text: "Nothing matches. Try fewer filters." }));
    };
    for (const el of [need, elig, openNow]) el.addEventListener("change", run);
    q.addEventListener("input", run);
    const from = origin();
    show(
      heading("Resources", from ? `Nearest to ${from.from} first.` : "Share your location to sort by distance."),
      h("div", { class: "fa-card fa-filters" },
        h("div", { class: "fa-input" }, h("label", { for: "rs-need", text: "Need" }), need),
        h("div", { class: "fa-input" }, h("label", { for: "rs-elig", text: "For" }), elig),
        h("div", { class: "fa-input" }, h("label", { for: "rs-q", text: "Words" }), q),
        h("label", { class: "fa-inline", for: "rs-open" }, openNow, " Open now"),
        from ? null : h("button", { type: "button", class: "btn btn-secondary", onclick: locate }, "Near me")),
      list
    );
    run();
  }

  function locate() {
    if (!navigator.geolocation) return toast("This phone cannot share its location.");
    navigator.geolocation.getCurrentPosition(
      (p) => { state.here = { lat: p.coords.latitude, lon: p.coords.longitude }; render(); },
      () => toast("No location: distances are not shown."),
      { maximumAge: 300000, timeout: 10000 }
    );
  }

  function resourceItem(f) {
    const r = f.r;
    return h("li", { class: "fa-card fa-resource" },
      h("div", { class: "fa-resource-head" }, h("h2", { text: r.name }),
        f.open === true ? h("span", { class: "badge badge-good", text: "Open now" }) : f.open === false ? h("span", { class: "badge badge-neutral", text: "Closed now" }) : null),
      h("p", { class: "fa-muted", text: resourceLine(f, false) }),
      r.eligibility ? h("p", {}, h("strong", { text: "Who: " }), r.eligibility) : null,
      r.hours ? h("p", {}, h("strong", { text: "Hours: " }), r.hours) : null,
      r.capacity !== null ? h("p", {}, h("strong", { text: "Capacity: " }), r.available_today !== null ? `${r.available_today} of ${r.capacity} open today` : `${r.capacity}`) : null,
      r.address ? h("p", { text: r.address }) : null,
      r.phone ? h("a", { class: "btn btn-secondary fa-call-btn", href: `tel:${r.phone.replace(/[^0-9+]/g, "")}` }, `Call ${r.phone}`) : null
    );
  }

  // --- the sync view -----------------------------------------------------------------------------

  function renderSync() {
    const w = waiting();
    const problems = needsYou();
    const recs = w.filter((o) => o.kind !== "status");
    const taps = w.filter((o) => o.kind === "status");
    const item = (o) => h("li", {}, h("strong", { text: o.label || o.kind }), h("span", { class: "fa-muted", text: ` · saved ${clock(o.created)}` }));
    show(
      heading("Sync", state.lastSync ? `Last synced ${day(state.lastSync)} ${clock(state.lastSync)}` : "Not synced yet"),
      h("section", { class: "fa-card" },
        h("p", { class: "fa-count", id: "waiting-count", text: recs.length ? `${plural(recs.length, "record")} waiting to sync` : taps.length ? `${plural(taps.length, "status update")} waiting to sync` : "Nothing waiting to sync" }),
        recs.length ? h("ul", { class: "fa-list" }, recs.map(item)) : null,
        recs.length && taps.length ? h("p", { class: "fa-sub-count", text: `and ${plural(taps.length, "status update")}:` }) : null,
        recs.length && taps.length ? h("ul", { class: "fa-list" }, taps.map(item)) : !recs.length && taps.length ? h("ul", { class: "fa-list" }, taps.map(item)) : null,
        h("button", { type: "button", class: "fa-big fa-big-primary", disabled: !navigator.onLine || state.syncing, onclick: syncNow }, navigator.onLine ? "Sync now" : "Offline: will sync when the network returns")),
      problems.length ? h("section", { class: "fa-card" }, h("h2", { text: "Needs you" }),
        h("ul", { class: "fa-list" }, problems.map((o) => h("li", { class: "fa-problem" },
          h("strong", { text: o.label || o.kind }), h("p", { text: o.error || "" }),
          o.state === "conflict"
            ? h("a", { class: "btn btn-primary", href: o.reconcile }, "Reconcile")
            : h("button", { type: "button", class: "btn btn-secondary", onclick: () => dropOp(o.id) }, "Dismiss"))))) : null,
      syncedCard(),
      h("p", { class: "fa-hint" }, "Follow-ups, referrals and reconciling are on the ", h("a", { href: body.dataset.home }, "staff site"), ".")
    );
  }

  function syncedCard() {
    const done = state.records.filter((r) => mine(r) && r.server_id && r.synced_at).slice(-5).reverse();
    if (!done.length) return null;
    return h("section", { class: "fa-card" }, h("h2", { text: "Synced from this phone" }),
      h("ul", { class: "fa-list" }, done.map((r) => h("li", {}, h("strong", { text: r.external_id || "Encounter" }), h("span", { class: "fa-muted", text: ` · ${r.label || ""} · ${clock(r.synced_at)}` })))));
  }

  // --- start ---------------------------------------------------------------------------------------

  function route() {
    const view = (location.hash || "#call").slice(1);
    setView(["call", "record", "resources", "sync"].includes(view) ? view : "call");
    state.formRendered = false;
    render();
    const title = document.getElementById("view-title");
    if (title) title.focus({ preventScroll: true });
  }

  async function start() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(CONF.sw, { scope: CONF.shell }).catch(() => {});
    }
    await loadLocal();
    const user = await kv("user");
    if (user) {
      state.profile = await kv("profile");
      state.work = await kv("work");
      state.resources = (await kv("resources")) || [];
      state.visits = (await kv("visits")) || [];
      state.lastSync = await kv("lastSync");
    }
    window.addEventListener("hashchange", route);
    window.addEventListener("online", () => { renderChrome(); syncNow(); });
    window.addEventListener("offline", () => render());
    document.getElementById("sync-pill").addEventListener("click", () => (location.hash = "#sync"));
    route();
    await refresh();
    await syncNow();
    setInterval(() => { if (navigator.onLine && !state.syncing) syncNow(); }, SYNC_EVERY);
    body.dataset.ready = "true";
  }

  start();
})();
