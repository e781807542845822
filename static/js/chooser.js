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

    function choose(item) {
      text.value = item.name;
      hidden.value = String(item.id);
      if (hint) { hint.textContent = item.leader ? root.dataset.leaderLabel + item.leader : ""; }
      close();
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

    const search = debounce(function () {
      const q = text.value.trim();
      if (!q) { close(); return; }
      if (controller) { controller.abort(); }
      controller = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && text.value.trim() === q) { render(data); } })
        .catch(function () { /* aborted or offline: the server resolves the text on submit */ });
    }, 200);

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
        if (open && active >= 0) { event.preventDefault(); choose(results[active]); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });

    text.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("[data-chooser]").forEach(setup);
})();
