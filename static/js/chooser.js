// Search-as-you-type choosers for enterprises and key projects (templates/ledger/_chooser.html).
// Typing asks the lookup endpoint for at most ~20 matches; picking one stores its id in the
// hidden input and proposes its 分包 leader in the leader select if that is still empty.
// Without this script the typed text is resolved on the server.
(function () {
  "use strict";

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function setup(root) {
    const text = root.querySelector("input[type=text]");
    const hidden = document.getElementById(root.dataset.pkInput);
    const list = document.getElementById(root.dataset.list);
    const hint = root.querySelector("[data-chooser-hint]");
    const status = root.querySelector("[data-chooser-status]");
    const url = root.dataset.lookupUrl;
    if (!text || !hidden || !list || !url) { return; }
    let results = [];
    let active = -1;
    let controller = null;

    function announce(message) { if (status) { status.textContent = message; } }

    function close() {
      list.hidden = true;
      text.setAttribute("aria-expanded", "false");
      text.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const options = list.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        option.classList.toggle("active", i === index);
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && options[index]) {
        text.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      }
    }

    function changed() {
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
      root.dispatchEvent(new CustomEvent("chooserchange", { bubbles: true }));
    }

    function proposeLeader(item) {
      const select = root.dataset.leaderField && document.getElementById(root.dataset.leaderField);
      if (!select || !item.leader_id) { return; }
      // fill it only if it is empty or still holds what a chooser proposed earlier
      if (select.value && select.value !== select.dataset.proposed) { return; }
      const value = String(item.leader_id);
      if (!Array.from(select.options).some(function (o) { return o.value === value; })) { return; }
      select.value = value;
      select.dataset.proposed = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    // a key project proposes its owner enterprise in an empty enterprise chooser, as the
    // "为该项目登记问题" link does on the server
    function proposeOwner(item) {
      const ownerText = text.dataset.ownerField && document.getElementById(text.dataset.ownerField);
      const ownerHidden = ownerText && document.getElementById(ownerText.id + "_pk");
      if (!ownerHidden || !item.owner_id || ownerText.value.trim()) { return; }
      ownerText.value = item.owner;
      ownerHidden.value = String(item.owner_id);
      ownerHidden.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function choose(item) {
      text.value = item.name;
      hidden.value = String(item.id);
      if (hint) { hint.textContent = item.leader ? root.dataset.leaderLabel + item.leader : ""; }
      close();
      proposeOwner(item);
      proposeLeader(item);
      changed();
    }

    function render(data) {
      results = data.results || [];
      list.replaceChildren();
      results.forEach(function (item, i) {
        const option = document.createElement("button");
        option.type = "button";
        option.id = list.id + "_" + i;
        option.className = "list-group-item list-group-item-action chooser-option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.tabIndex = -1;
        const name = document.createElement("span");
        name.textContent = item.name;
        option.appendChild(name);
        if (item.detail || item.leader) {
          const detail = document.createElement("small");
          detail.className = "d-block text-muted";
          detail.textContent = [item.detail, item.leader].filter(Boolean).join(" · ");
          option.appendChild(detail);
        }
        // keep the focus in the text box while clicking
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { choose(item); });
        list.appendChild(option);
      });
      if (!results.length) {
        const none = document.createElement("div");
        none.className = "list-group-item text-muted";
        none.textContent = root.dataset.noneText;
        list.appendChild(none);
        announce(root.dataset.noneText);
      } else {
        announce(root.dataset.countText.replace("%s", results.length));
      }
      if (data.more) {
        const more = document.createElement("div");
        more.className = "list-group-item small text-muted";
        more.textContent = root.dataset.moreText;
        list.appendChild(more);
      }
      list.hidden = false;
      text.setAttribute("aria-expanded", "true");
      active = -1;
    }

    let pending = false; // a lookup is waiting or under way: its list is about to open
    const lookup = debounce(function () {
      const q = text.value.trim();
      if (!q) { pending = false; close(); return; }
      if (controller) { controller.abort(); }
      controller = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (text.value.trim() !== q) { return; }
          pending = false;
          if (data && document.activeElement === text) { render(data); }
        })
        .catch(function (error) {
          // offline: the server resolves the text on submit; aborted: a newer lookup is under way
          if (error.name !== "AbortError") { pending = false; }
        });
    }, 200);
    function search() { pending = true; lookup(); }

    text.addEventListener("input", function () {
      if (hidden.value) {
        // the text no longer names the row picked before
        hidden.value = "";
        if (hint) { hint.textContent = ""; }
        changed();
      }
      search();
    });

    text.addEventListener("keydown", function (event) {
      const open = !list.hidden && results.length > 0;
      if (event.key === "ArrowDown") {
        if (list.hidden) { search(); return; }
        event.preventDefault();
        if (open) { highlight(Math.min(active + 1, results.length - 1)); }
      } else if (event.key === "ArrowUp") {
        if (open) { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      } else if (event.key === "Enter") {
        // never submit the form from an open (or opening) list: pick the highlighted row, the
        // only row, or nothing (the count announced says to use the arrow keys); a list that
        // found nothing closes
        if (open && active >= 0) { event.preventDefault(); choose(results[active]); }
        else if (open && results.length === 1) { event.preventDefault(); choose(results[0]); }
        else if (!list.hidden || pending) { event.preventDefault(); if (!open) { close(); } }
      } else if (event.key === "Tab") {
        // leave for the next field with the list closed first: a scrolling list box would
        // otherwise take the focus and lose it to the page when it closes. A highlighted row
        // is taken, as Enter would.
        if (open && active >= 0) { choose(results[active]); } else { close(); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });

    text.addEventListener("blur", function () {
      pending = false;
      setTimeout(function () { if (document.activeElement !== text) { close(); } }, 150);
    });
  }

  document.querySelectorAll("[data-chooser]").forEach(setup);

  // The likely-duplicates panel (templates/ledger/_duplicates.html) is redrawn by htmx while the
  // person types or picks. Keep the keyboard focus in it, and a ticked 仍然登记 while the same
  // issues are listed, across a redraw.
  function duplicatesKept(panel) {
    const box = panel.querySelector("#id_confirm_duplicates");
    return {
      numbers: Array.from(panel.querySelectorAll(".duplicates-list a"), function (a) { return a.textContent; }).join(),
      checked: Boolean(box && box.checked),
      focus: document.activeElement && panel.contains(document.activeElement)
        ? document.activeElement.id || document.activeElement.getAttribute("href") : null,
    };
  }
  let kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    kept = event.detail.target.id === "duplicates" ? duplicatesKept(event.detail.target) : null;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    const panel = event.detail.target;
    if (!kept || panel.id !== "duplicates") { return; }
    const now = duplicatesKept(panel);
    const box = panel.querySelector("#id_confirm_duplicates");
    if (box && kept.checked && now.numbers === kept.numbers) { box.checked = true; }
    if (kept.focus && (document.activeElement === document.body || !document.activeElement)) {
      const target = document.getElementById(kept.focus) ||
        Array.from(panel.querySelectorAll("a[href]")).find(function (a) { return a.getAttribute("href") === kept.focus; });
      if (target) { target.focus(); }
    }
    kept = null;
  });
})();
