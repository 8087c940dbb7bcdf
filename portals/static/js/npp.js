/* NPP progressive enhancement. Pages work without it; no inline scripts (CSP). */
(function () {
  "use strict";

  /* Days of supply on the request form: packs x units per pack / units a day,
     the same sum as ImportCase.days_of_supply, with the pathway's cap. */
  function supplyEstimate(form) {
    var dataNode = document.getElementById("catalogue-data");
    var output = form.querySelector("[data-supply-output]");
    if (!dataNode || !output) return;
    var data = JSON.parse(dataNode.textContent);
    var product = form.querySelector("[name=product]");
    var daily = form.querySelector("[name=daily_units]");
    var packs = form.querySelector("[name=quantity_packs]");

    function update() {
      var item = data.products[product && product.value];
      var perDay = parseInt(daily && daily.value, 10);
      var count = parseInt(packs && packs.value, 10);
      if (!item || !(perDay > 0) || !(count > 0)) {
        output.textContent = "Choose the product, units a day and packs to see how long the supply lasts.";
        output.classList.remove("warning");
        return;
      }
      var days = Math.floor((count * item.units_per_pack) / perDay);
      var text = count + " pack" + (count === 1 ? "" : "s") + " of " + item.units_per_pack +
        " at " + perDay + " a day last " + days + " day" + (days === 1 ? "" : "s") + ".";
      if (data.cap_days && days > data.cap_days) {
        text += " That is above the " + data.cap_days + "-day cap of one import: reduce the packs.";
        output.classList.add("warning");
      } else {
        output.classList.remove("warning");
      }
      output.textContent = text;
    }

    [product, daily, packs].forEach(function (input) {
      if (input) {
        input.addEventListener("input", update);
        input.addEventListener("change", update);
      }
    });
    update();
  }

  /* Show only the patient fields that match the choice (existing or new). */
  function patientChoice(form) {
    var radios = form.querySelectorAll("[name=patient_choice]");
    if (!radios.length) return;
    function update() {
      var choice = form.querySelector("[name=patient_choice]:checked");
      var value = choice ? choice.value : "existing";
      form.querySelectorAll("[data-patient-section]").forEach(function (section) {
        section.hidden = section.getAttribute("data-patient-section") !== value;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  /* A text field that suggests values as one types: data-suggest holds the URL that
     answers ?q= with {"names": [...]}, shown through the field's datalist. */
  function suggest(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-suggest");
    if (!list || !url || !window.fetch) return;
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var typed = input.value.trim();
        if (typed.length < 2 || typed === asked) return;
        asked = typed;
        fetch(url + "?q=" + encodeURIComponent(typed), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { names: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.names.map(function (name) {
              var option = document.createElement("option");
              option.value = name;
              return option;
            }));
          })
          .catch(function () {});
      }, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(suggest);
    document.querySelectorAll("form[data-request-form]").forEach(function (form) {
      supplyEstimate(form);
      patientChoice(form);
    });
  });
})();
