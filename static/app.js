/*
 * Veille: small progressive enhancements. No dependency; every page works without it.
 * - mobile menu toggle (.nav-toggle / #site-menu)
 * - confirmation dialog for [data-confirm] on forms, submit buttons, links and htmx requests
 * - focus on the error summary (or the first field in error) after a page load or an htmx swap;
 *   else on [data-autofocus]; else, when the swap removed the focused control, on the other
 *   control of its [data-focus-group] if the new one of the same id is disabled, or on the
 *   swapped part's heading
 * - a message in #flashes when an htmx request fails (the server's, when its error page gives one)
 * - a page opened at one of its parts (#tokens) shows its messages under that part's heading
 * - keyboard access to horizontally scrolling tables (.table-wrap)
 * - drag and drop reordering of [data-sortable] lists (agenda items)
 * - drag and drop of [data-board] cards onto another column (actions)
 * - a warning before leaving a page whose meeting notes are not saved yet (.notes-form); the
 *   notes another who edits saves come in only when newer, never over those not saved yet
 * - "/" focuses the header's search box (#site-search-q), unless one is typing in a field
 * Translated texts come from data-i18n-* attributes on <body>.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function text(key, fallback) {
    var body = document.body;
    var value = body && body.getAttribute("data-i18n-" + key);
    return value || fallback;
  }

  /* Mobile menu ---------------------------------------------------------- */

  function menuParts() {
    var toggle = document.querySelector(".nav-toggle");
    var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    return toggle && menu ? { toggle: toggle, menu: menu } : null;
  }

  function setMenu(open) {
    var parts = menuParts();
    if (!parts) return;
    parts.toggle.setAttribute("aria-expanded", open ? "true" : "false");
    parts.menu.classList.toggle("is-open", open);
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (toggle) {
      setMenu(toggle.getAttribute("aria-expanded") !== "true");
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var parts = menuParts();
    var active = document.activeElement;
    if (parts && parts.toggle.getAttribute("aria-expanded") === "true" &&
        (parts.menu.contains(active) || parts.toggle === active)) {
      setMenu(false);
      parts.toggle.focus();
    }
  });

  /* Confirmation dialog ---------------------------------------------------- */

  var dialog = null;

  function buildDialog() {
    var d = document.createElement("dialog");
    d.className = "dialog";
    d.setAttribute("aria-labelledby", "confirm-dialog-title");
    d.setAttribute("aria-describedby", "confirm-dialog-message");

    var form = document.createElement("form");
    form.method = "dialog";
    form.className = "dialog__form";

    var title = document.createElement("h2");
    title.className = "dialog__title";
    title.id = "confirm-dialog-title";

    var message = document.createElement("p");
    message.className = "dialog__message";
    message.id = "confirm-dialog-message";

    var actions = document.createElement("div");
    actions.className = "dialog__actions";

    var cancel = document.createElement("button");
    cancel.type = "submit";
    cancel.value = "cancel";
    cancel.className = "btn btn--secondary";
    cancel.setAttribute("autofocus", "");

    var confirm = document.createElement("button");
    confirm.type = "submit";
    confirm.value = "confirm";

    actions.appendChild(cancel);
    actions.appendChild(confirm);
    form.appendChild(title);
    form.appendChild(message);
    form.appendChild(actions);
    d.appendChild(form);
    document.body.appendChild(d);
    return d;
  }

  // Resolves to true when the person confirms. The element may set data-confirm-button
  // (label of the confirm button); a .btn--danger element gets a red confirm button.
  function ask(element) {
    var message = element.getAttribute("data-confirm") || "";
    if (typeof HTMLDialogElement !== "function") {
      return Promise.resolve(window.confirm(message));
    }
    if (!dialog) dialog = buildDialog();
    var opener = document.activeElement;
    var danger = element.classList.contains("btn--danger") ||
      element.getAttribute("data-confirm-kind") === "danger" ||
      !!element.querySelector(".btn--danger");
    var buttons = dialog.querySelectorAll("button");
    dialog.querySelector(".dialog__title").textContent = text("confirm-title", "Please confirm");
    dialog.querySelector(".dialog__message").textContent = message;
    buttons[0].textContent = text("cancel", "Cancel");
    buttons[1].textContent = element.getAttribute("data-confirm-button") || text("confirm", "Confirm");
    buttons[1].className = "btn " + (danger ? "btn--danger" : "btn--primary");
    dialog.returnValue = "";

    return new Promise(function (resolve) {
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        if (opener && typeof opener.focus === "function" && document.contains(opener)) {
          opener.focus();
        }
        resolve(dialog.returnValue === "confirm");
      });
      dialog.showModal();
    });
  }

  function isHtmxElement(el) {
    if (!window.htmx || !el) return false;
    var verbs = ["get", "post", "put", "patch", "delete"];
    for (var i = 0; i < verbs.length; i++) {
      if (el.hasAttribute("hx-" + verbs[i]) || el.hasAttribute("data-hx-" + verbs[i])) return true;
    }
    var boosted = el.closest("[hx-boost],[data-hx-boost]");
    if (boosted) {
      var value = boosted.getAttribute("hx-boost") || boosted.getAttribute("data-hx-boost");
      return value === "true";
    }
    return false;
  }

  // Plain (non-htmx) forms: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method === "dialog") return;
    var submitter = event.submitter || null;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter
      : form.hasAttribute("data-confirm") ? form : null;
    if (!source || isHtmxElement(form)) return;
    if (form.getAttribute("data-confirmed") === "1") {
      form.removeAttribute("data-confirmed");
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(source).then(function (ok) {
      if (!ok) return;
      form.setAttribute("data-confirmed", "1");
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      } else {
        form.submit();
      }
    });
  }, true);

  // Plain links with data-confirm.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-confirm][href]");
    if (!link || isHtmxElement(link) || event.defaultPrevented) return;
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    ask(link).then(function (ok) {
      if (ok) window.location.assign(link.href);
    });
  });

  // htmx requests: elements (or the submit button of a form) with data-confirm.
  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail || {};
    var elt = detail.elt;
    var trigger = detail.triggeringEvent;
    var submitter = trigger && trigger.submitter;
    var source = submitter && submitter.hasAttribute && submitter.hasAttribute("data-confirm") ? submitter
      : elt && elt.hasAttribute && elt.hasAttribute("data-confirm") ? elt : null;
    if (!source) return;
    event.preventDefault();
    ask(source).then(function (ok) {
      if (ok) detail.issueRequest(true);
    });
  });

  /* Focus on errors --------------------------------------------------------- */

  // What a link of the error summary points to: a field, or a group's fieldset.
  function errorTarget(link) {
    return document.getElementById(link.getAttribute("href").slice(1));
  }

  // The label of the field an error is about, without its required mark ("*").
  function fieldName(input) {
    if (!input) return "";
    // A group (the error's fieldset itself, or the fieldset of options of one name) is named by
    // its legend, not by its first option's label.
    var group = input.tagName === "FIELDSET" ? input : null;
    if (!group && /^(radio|checkbox)$/.test(input.type)) {
      var fieldset = input.closest("fieldset");
      var options = fieldset ? fieldset.querySelectorAll("input[name='" + input.name + "']").length : 0;
      group = options > 1 ? fieldset : null;
    }
    var legend = group && group.querySelector("legend");
    var holder = legend || document.querySelector("label[for='" + input.id + "']");
    if (!holder) return "";
    var copy = holder.cloneNode(true);
    copy.querySelectorAll(".field__required, .sr-only").forEach(function (mark) {
      mark.remove();
    });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  // Each error of the summary says which field it is about, as its field's label: the server
  // renders the summary before the fields, so it has their messages, not their names.
  function nameErrors(summary) {
    var colon = document.documentElement.lang === "fr" ? "\u00a0: " : ": ";
    summary.querySelectorAll(".error-summary__list a[href^='#']").forEach(function (link) {
      if (link.querySelector(".error-summary__field")) return;
      var name = fieldName(errorTarget(link));
      if (!name) return;
      var label = document.createElement("span");
      label.className = "error-summary__field";
      label.textContent = name + colon;
      link.prepend(label);
    });
  }

  function focusErrors(root) {
    if (!root || !root.querySelector) return false;
    var summary = root.matches && root.matches(".error-summary") ? root : root.querySelector(".error-summary");
    if (summary) {
      nameErrors(summary);
      summary.focus();
      return true;
    }
    var field = root.querySelector(
      ".field--error input:not([type=hidden]), .field--error select, .field--error textarea"
    );
    if (field) {
      field.focus();
      return true;
    }
    return false;
  }

  // What had focus when each response's swap began (by its request): only a swap that removed
  // it moves focus, never one that leaves it where it is (a live part of the meeting page read
  // again while one reads or types elsewhere).
  var focusedAt = new WeakMap();
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail && event.detail.xhr) focusedAt.set(event.detail.xhr, document.activeElement);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = (event.detail && event.detail.elt) || event.target;
    if (focusErrors(target)) return;
    // A fragment may name where focus goes next (the board: the card just moved).
    var next = target && target.querySelector && target.querySelector("[data-autofocus]");
    if (next) {
      next.focus();
      return;
    }
    var was = event.detail && event.detail.xhr && focusedAt.get(event.detail.xhr);
    var active = document.activeElement;
    if (!was || was === document.body || was.isConnected || (active && active !== document.body)) return;
    // htmx gives focus to the new control of the same id; one now disabled cannot take it (an
    // agenda item moved to the top cannot go up): the other control of its group does.
    var same = was.id && document.getElementById(was.id);
    if (same && same.disabled) {
      var group = same.closest("[data-focus-group]");
      same = group && group.querySelector("button:not([disabled])");
    }
    if (same) same.focus({ preventScroll: true });
    if (same && document.activeElement === same) return;
    // A live part read again because the stream said so (not asked from the page) never sends
    // focus to its heading, screens away: the agenda read again after an item's own change
    // (its "Confidential" box) took focus there.
    var asker = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (liveTrigger(asker)) return;
    // Else the swapped region's heading (tabindex="-1"), rather than the top of the page.
    var heading = target && target.querySelector && target.querySelector("[tabindex='-1']");
    if (heading) heading.focus();
  });

  // A link of the error summary moves focus to its field and shows the field's label.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var input = errorTarget(link);
    if (input && input.tagName === "FIELDSET") input = input.querySelector("input:checked, input, select, textarea");
    if (!input) return;
    event.preventDefault();
    var holder = input.closest(".field, fieldset") || input;
    holder.scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  });

  /* htmx errors ------------------------------------------------------------- */

  function showClientError(message) {
    var region = document.getElementById("flashes");
    if (!region) {
      window.alert(message);
      return;
    }
    var old = region.querySelector(".flash--client");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "flash flash--error flash--client";
    box.setAttribute("role", "alert");
    box.innerHTML = '<svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">' +
      '<circle cx="12" cy="12" r="9.5"/><path d="M12 7v6.2"/><path d="M12 16.6v.2"/></svg>';
    var p = document.createElement("p");
    p.className = "flash__message";
    p.textContent = message;
    box.appendChild(p);
    region.appendChild(box);
    if (box.getBoundingClientRect().top < 0) box.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:beforeRequest", function () {
    var old = document.querySelector("#flashes .flash--client");
    if (old) old.remove();
  });

  // The server's own reason for refusing a part of a page (its error page's words): the part
  // stays as it was, a form with what was typed.
  document.addEventListener("veille:refused", function (event) {
    if (event.detail && event.detail.message) showClientError(event.detail.message);
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && /veille:refused/.test(xhr.getResponseHeader("HX-Trigger") || "")) return;  // said above
    var status = xhr ? xhr.status : 0;
    var message;
    if (status === 401) message = text("error-session", "Your session has expired. Sign in again.");
    else if (status === 403) message = text("error-forbidden", "You are not allowed to do this.");
    else if (status === 404) message = text("error-not-found", "This item does not exist or is not available to you.");
    else message = text("error-generic", "The action could not be completed. Reload the page and try again.");
    showClientError(message);
  });

  document.addEventListener("htmx:sendError", function () {
    showClientError(text("error-network", "The server cannot be reached. Check your connection and try again."));
  });

  /* Scrolling tables -------------------------------------------------------- */

  // A table wider than the screen scrolls: make its wrapper reachable with the keyboard.
  function enhanceTables(root) {
    var wraps = (root || document).querySelectorAll ? (root || document).querySelectorAll(".table-wrap") : [];
    Array.prototype.forEach.call(wraps, function (wrap) {
      if (wrap.hasAttribute("tabindex")) return;
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        if (!wrap.hasAttribute("role")) wrap.setAttribute("role", "region");
        if (!wrap.hasAttribute("aria-label") && !wrap.hasAttribute("aria-labelledby")) {
          var caption = wrap.querySelector("caption");
          if (caption && caption.textContent.trim()) wrap.setAttribute("aria-label", caption.textContent.trim());
        }
      }
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    enhanceTables(event.detail && event.detail.elt);
  });

  /* Drag and drop reordering ------------------------------------------------ */
  // A list [data-sortable="FORM_ID"] of draggable items [data-id]; on drop, the form FORM_ID
  // is sent with the ids in their new order. Up and down buttons do the same from the keyboard.

  var dragged = null;
  var pressed = null;

  function sortableItem(target) {
    var item = target.closest && target.closest("[data-sortable] > [data-id]");
    return item || null;
  }

  // Where the pointer went down: a drag that starts in a field or a button is text selection
  // or a click, not a move of the item.
  document.addEventListener("pointerdown", function (event) {
    pressed = event.target;
  });

  document.addEventListener("dragstart", function (event) {
    var item = sortableItem(event.target);
    if (!item) return;
    if (pressed && pressed.closest && pressed.closest("input, textarea, select, button, a, summary, form")) {
      event.preventDefault();
      return;
    }
    dragged = item;
    item.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-id"));
  });

  document.addEventListener("dragover", function (event) {
    var item = dragged && sortableItem(event.target);
    if (!item || item === dragged || item.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    item.parentNode.querySelectorAll(".is-drop-target").forEach(function (el) {
      el.classList.remove("is-drop-target");
    });
    item.classList.add("is-drop-target");
  });

  document.addEventListener("drop", function (event) {
    var item = dragged && sortableItem(event.target);
    if (!item || item === dragged || item.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    var list = item.parentNode;
    var items = Array.prototype.slice.call(list.children);
    var before = items.indexOf(dragged) > items.indexOf(item) ? item : item.nextSibling;
    list.insertBefore(dragged, before);
    var form = document.getElementById(list.getAttribute("data-sortable"));
    if (!form) return;
    form.querySelectorAll("input[name='ids']").forEach(function (input) { input.remove(); });
    list.querySelectorAll(":scope > [data-id]").forEach(function (el) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "ids";
      input.value = el.getAttribute("data-id");
      form.appendChild(input);
    });
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("is-dragging");
    var list = dragged.parentNode;
    if (list) {
      list.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
    }
    dragged = null;
  });

  /* Board: a card dropped on another column --------------------------------- */
  // Each card of a [data-board] carries a button per status it may move to; dropping it on a
  // column presses that button, the same request as from the keyboard. Columns it may not go
  // to refuse the drop.

  var card = null;

  function boardCard(target) {
    return (target.closest && target.closest("[data-board] .board-card[draggable='true']")) || null;
  }

  function dropButton(event) {
    var column = card && event.target.closest && event.target.closest("[data-board] [data-status]");
    if (!column) return null;
    var status = column.getAttribute("data-status");
    var button = card.querySelector("button[name='status'][value='" + status + "']");
    return button ? { column: column, button: button } : null;
  }

  function clearDropTargets() {
    document.querySelectorAll("[data-board] .is-drop-target").forEach(function (el) {
      el.classList.remove("is-drop-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var item = boardCard(event.target);
    if (!item) return;
    if (pressed && pressed.closest && pressed.closest("input, button, form")) {
      event.preventDefault();
      return;
    }
    card = item;
    item.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-id"));
  });

  document.addEventListener("dragover", function (event) {
    var found = dropButton(event);
    if (!found) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!found.column.classList.contains("is-drop-target")) {
      clearDropTargets();
      found.column.classList.add("is-drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var found = dropButton(event);
    if (!found) return;
    event.preventDefault();
    clearDropTargets();
    found.button.click();
  });

  document.addEventListener("dragend", function () {
    if (!card) return;
    card.classList.remove("is-dragging");
    clearDropTargets();
    card = null;
  });

  /* Unsaved meeting notes ---------------------------------------------------- */

  // The notes of a meeting save themselves a moment after typing stops: until the save has
  // answered, leaving the page (a link, reload, closing the tab) asks first.
  // data-dirty: "typed" since the last save was sent, "sending" while it is under way.
  function notesForm(node) {
    return node && node.closest ? node.closest(".notes-form") : null;
  }

  document.addEventListener("input", function (event) {
    var form = notesForm(event.target);
    if (form) form.setAttribute("data-dirty", "typed");
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = notesForm(event.detail && event.detail.elt);
    if (form && form.getAttribute("data-dirty") === "typed") form.setAttribute("data-dirty", "sending");
  });

  // A save refused as a conflict (409, which htmx swaps as a success here) keeps its text
  // unsaved for good ("conflict"): it is neither replaced nor left without a warning.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = notesForm(event.detail && event.detail.elt);
    if (!form || form.getAttribute("data-dirty") !== "sending") return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (event.detail.successful && status < 300) form.removeAttribute("data-dirty");
    else form.setAttribute("data-dirty", status === 409 ? "conflict" : "typed");
  });

  // Notes saved by another who edits come with their version (data-version, the live
  // meeting's "notes" part): they replace the page's only when newer, so that an answer
  // overtaken by a later save never brings older text back, and never where notes typed on
  // this page are not saved yet (that save is then refused as a conflict, never written over).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fresh = event.detail.fragment && event.detail.fragment.firstElementChild;
    var here = event.detail.target;
    if (!fresh || !fresh.hasAttribute("data-version")) return;
    var version = here.matches("input") ? here : here.querySelector("input[name='version']");
    var older = Number(fresh.getAttribute("data-version")) <= Number(version ? version.value : 0);
    var form = notesForm(here);
    // An edit form's version does not move past an agenda change held back on this page: its
    // next save would be taken over that change, unseen.
    var held = here.matches("input") && here.closest("[data-live-pending]");
    if (older || held || (form && form.hasAttribute("data-dirty"))) event.detail.shouldSwap = false;
  });

  window.addEventListener("beforeunload", function (event) {
    if (!document.querySelector(".notes-form[data-dirty]")) return;
    event.preventDefault();
    event.returnValue = "";
  });

  /* The live meeting ---------------------------------------------------------- */

  // Parts of a meeting page refresh themselves when its event stream names them (hx-trigger
  // "sse:..."). A part answered by the server says the last event it already shows
  // (Veille-Live-Seen, kept as data-live-seen): events up to it do not fetch it again, so a
  // change's own event does not wipe the change's message. A part is held back while it holds
  // notes typed but not saved yet, or while a change asked from inside it awaits its answer
  // (the event may come first); it then catches up, unless that answer already showed the event.
  var asked = new Map(); // a change under way (its request) -> the part it was asked from
  var landing = new Map(); // an answer being swapped (its request) -> the part it lands in

  function liveTrigger(elt) {
    var trigger = elt && elt.getAttribute ? elt.getAttribute("hx-trigger") || "" : "";
    return trigger.indexOf("sse:") !== -1 ? trigger.split(/[\s,]+/).filter(function (t) { return t.indexOf("sse:") === 0; })[0] : null;
  }

  function liveNumber(elt, name) {
    return Number(elt.getAttribute(name) || 0);
  }

  function heldBack(part) {
    if (part.querySelector(".notes-form[data-dirty]")) return true;
    var waiting = false;
    asked.forEach(function (from) { waiting = waiting || from === part; });
    return waiting;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var part = event.detail && event.detail.elt;
    if (!liveTrigger(part)) return;
    var cause = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var told = Number((cause && cause.detail && cause.detail.lastEventId) || 0);
    if (told && told <= liveNumber(part, "data-live-seen")) {
      event.preventDefault();
    } else if (heldBack(part)) {
      event.preventDefault();
      // The newest event told while held; one without an id (a catch-up) always refreshes.
      var wanted = Math.max(liveNumber(part, "data-live-pending"), told || Infinity);
      part.setAttribute("data-live-pending", String(wanted));
    }
  });

  document.addEventListener("htmx:beforeSend", function (event) {
    var elt = event.detail.elt;
    var part = !liveTrigger(elt) && elt.closest ? elt.closest("[hx-trigger*='sse:']") : null;
    if (part) asked.set(event.detail.xhr, part);
  });

  // The part an answer lands in is the one its target is in, found before the swap (after it, a
  // replaced target is out of the page); the items' minutes swapped in by id do not count.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var part = target && target.closest ? target.closest("[hx-trigger*='sse:']") : null;
    if (part) landing.set(event.detail.xhr, part);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var part = xhr && landing.get(xhr);
    var seen = Number((xhr && xhr.getResponseHeader("Veille-Live-Seen")) || 0);
    if (part && seen > liveNumber(part, "data-live-seen")) part.setAttribute("data-live-seen", String(seen));
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    asked.delete(event.detail && event.detail.xhr);
    landing.delete(event.detail && event.detail.xhr);
    document.querySelectorAll("[data-live-pending]").forEach(function (part) {
      if (heldBack(part)) return;
      var wanted = liveNumber(part, "data-live-pending");
      part.removeAttribute("data-live-pending");
      if (wanted > liveNumber(part, "data-live-seen")) htmx.trigger(part, liveTrigger(part));
    });
  });

  // The stream's state shows on the page (the presence dot turns grey while it reconnects).
  document.addEventListener("htmx:sseOpen", function (event) {
    event.target.classList.remove("live--offline");
  });
  document.addEventListener("htmx:sseError", function (event) {
    event.target.classList.add("live--offline");
  });

  /* "/" focuses the header's search box ------------------------------------- */

  // Not while typing somewhere (a field, an editable area) or with a modifier held.
  function typing(target) {
    if (!target || !target.closest) return false;
    return target.isContentEditable || !!target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var box = document.getElementById("site-search-q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  /* Page load --------------------------------------------------------------- */

  /* A message about one part of a long page --------------------------------- */

  // A change made in one part of a page comes back to that part (/account#tokens): its message,
  // drawn at the top of the page a screen above, is moved to the part, under its heading.
  function messagesToTheirPart() {
    var region = document.getElementById("flashes");
    var id = location.hash.slice(1);
    try {
      id = decodeURIComponent(id);
    } catch (error) {
      // A malformed address (#100%): its part is looked for as written.
    }
    var part = id && document.getElementById(id);
    if (!region || !part || !region.querySelector(".flash") || part.contains(region)) return;
    var here = document.createElement("div");
    here.className = "flashes flashes--in-part";
    here.setAttribute("role", "status");
    while (region.firstChild) here.appendChild(region.firstChild);
    var heading = /^H[1-6]$/.test(part.tagName) ? part : part.querySelector("h1, h2, h3, h4, h5, h6");
    // Under the part's heading, or under the row that holds it (an agenda item's title sits in a
    // row with its buttons: the message squeezed in beside them, three words a line on a phone).
    var anchor = heading;
    while (anchor && anchor !== part && anchor.parentElement !== part) anchor = anchor.parentElement;
    if (anchor) anchor.insertAdjacentElement("afterend", here);
    else part.insertBefore(here, part.firstChild);
  }

  function onReady() {
    messagesToTheirPart();
    enhanceTables(document);
    var main = document.getElementById("main");
    if (main) focusErrors(main);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }
})();
