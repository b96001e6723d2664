// Demo tools, not part of installing Waymark: they let one browser play the people the demo's
// experiences are for. `?demo=<tool>` runs before the SDK starts (this is a classic script
// placed before the SDK's tag), changes what the SDK keeps in localStorage under
// `waymark:demo:` (the demo project), and leaves the URL without the parameter:
//   new-visitor  forget everything: a first visit again (the onboarding tour shows)
//   new-session  end the current session, so that the next survey may show (Waymark shows at
//                most one survey per session; the demo's config waives the 14-day gap)
//   lapsed       a user who used Ledgerly daily for three weeks, stopped eight days ago and
//                dismissed three prompts: behavior.churn_risk comes out at about 0.82, and
//                the "we miss you" banner shows (sdk/core/src/rules/profile.rs has the formula):
//                an anonymous id out of the banner's holdout is chosen, so that it does
//   lapsed-held-out  the same user, with an anonymous id in the banner's holdout: the banner
//                does not show, and $experience_not_shown (reason holdout) is recorded
(function () {
  var url = new URL(location.href);
  var tool = url.searchParams.get('demo');
  if (!tool) return;
  var PREFIX = 'waymark:demo:';
  var DAY = 86400000;
  function forget(keep) {
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var key = localStorage.key(i);
      if ((key.indexOf(PREFIX) === 0 && !keep(key.slice(PREFIX.length))) || key.indexOf('ledgerly:') === 0) {
        localStorage.removeItem(key);
      }
    }
  }
  // A behaviour profile in the SDK's stored format (Profile::to_json, version 1): daily use
  // from 28 to 8 days ago, nothing since; the tour and two surveys seen and dismissed.
  function lapsedProfile() {
    var now = Date.now();
    var today = Math.floor((now - new Date().getTimezoneOffset() * 60000) / DAY);
    var days = function (perDay) {
      var list = [];
      for (var d = 28; d >= 8; d--) list.push([today - d, perDay]);
      return list;
    };
    var event = function (perDay) {
      return { t: perDay * 21, f: now - 28 * DAY, l: now - 8 * DAY, d: days(perDay) };
    };
    var dismissed = function (daysAgo, survey) {
      var at = now - daysAgo * DAY;
      return { s: 1, c: 0, x: 1, a: 0, xs: [at], q: survey, ls: at };
    };
    return {
      v: 1,
      events: { $pageview: event(6), invoice_created: event(2), export_completed: event(1) },
      sessions: 21,
      active_days: 21,
      activity: days(9),
      pages: { '/': [63, now - 8 * DAY], '/invoices': [63, now - 8 * DAY] },
      experiences: { onboarding: dismissed(28, false), nps: dismissed(12, true), 'ces-export': dismissed(9, true) },
      started: now - 28 * DAY,
    };
  }
  // The holdout bucket of an anonymous id (waymark-core's holdout_bucket: GrowthBook's hash,
  // version 2, of the id seeded with "waymark-holdout:" and the experience id). A bucket of
  // 0.5 or more is out of any holdout the config compiler accepts (at most 0.5); one below
  // 0.02 is in any of 2% or more (the demo's banner holds out 20%).
  function fnv(text) {
    var hash = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return hash;
  }
  function holdoutBucket(experience, key) {
    return (fnv(String(fnv('waymark-holdout:' + experience + key))) % 10000) / 10000;
  }
  // A UUID v7 (as the SDK makes them) whose bucket for the win-back banner is in or out.
  function anonymousId(heldOut) {
    for (;;) {
      var random = crypto.randomUUID().replace(/-/g, '');
      var hex = Date.now().toString(16).padStart(12, '0') + '7' + random.slice(13);
      var id = hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
      var bucket = holdoutBucket('win-back', id);
      if (heldOut ? bucket < 0.02 : bucket >= 0.5) return id;
    }
  }
  try {
    if (tool === 'new-visitor') {
      forget(function () { return false; });
    } else if (tool === 'new-session') {
      localStorage.removeItem(PREFIX + 'session');
    } else if (tool === 'lapsed' || tool === 'lapsed-held-out') {
      // Keep the cached config (so the banner can show before the collector answers).
      forget(function (key) { return key === 'config'; });
      localStorage.setItem(PREFIX + 'profile', JSON.stringify(lapsedProfile()));
      localStorage.setItem(PREFIX + 'anonymous_id', anonymousId(tool === 'lapsed-held-out'));
    }
  } catch (error) {
    console.warn('[demo] could not prepare the demo:', error);
  }
  url.searchParams.delete('demo');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
})();
