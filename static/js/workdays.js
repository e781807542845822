// Deadlines on a weekend or holiday: under every date input marked data-workday-check, a
// warning names the day and offers the next working day (one click sets it). The calendar
// (holidays and make-up working days) and the texts come from {% workday_calendar %}.
// A file, not an inline script, for the strict CSP.
(function () {
  const source = document.getElementById("workday-calendar");
  const inputs = Array.from(document.querySelectorAll("input[type=date][data-workday-check]"));
  if (!source || !inputs.length) { return; }
  const calendar = JSON.parse(source.textContent);
  const holidays = new Set(calendar.holidays);
  const makeup = new Set(calendar.makeup);

  function parse(value) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    return match ? new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])) : null;
  }
  function iso(day) { return day.toISOString().slice(0, 10); }
  function isWorking(day) {
    const key = iso(day);
    if (makeup.has(key)) { return true; }
    if (holidays.has(key)) { return false; }
    const weekday = day.getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }
  function weekdayName(day) { return calendar.weekdays[(day.getUTCDay() + 6) % 7]; }
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_all, key) { return values[key]; });
  }

  inputs.forEach(function (input) {
    const hint = document.createElement("div");
    hint.className = "form-text text-warning-emphasis workday-hint";
    hint.setAttribute("role", "status");
    hint.dataset.testid = "workday-warning";
    hint.hidden = true;
    const text = document.createElement("span");
    const offer = document.createElement("button");
    offer.type = "button";
    offer.className = "btn btn-sm btn-outline-primary ms-2";
    hint.append(text, offer);
    input.insertAdjacentElement("afterend", hint);
    let next = null;

    function check() {
      const day = parse(input.value);
      if (!day || isWorking(day)) { hint.hidden = true; return; }
      next = new Date(day.getTime());
      do { next.setUTCDate(next.getUTCDate() + 1); } while (!isWorking(next));
      const values = {
        day: iso(day), weekday: weekdayName(day), next: iso(next), next_weekday: weekdayName(next)
      };
      text.textContent = fill(calendar.warning, values);
      offer.textContent = fill(calendar.offer, values);
      hint.hidden = false;
    }
    offer.addEventListener("click", function () {
      if (!next) { return; }
      input.value = iso(next);
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    });
    input.addEventListener("change", check);
    input.addEventListener("input", check);
    check();
  });
})();
