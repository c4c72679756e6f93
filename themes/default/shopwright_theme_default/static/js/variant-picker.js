// Progressive enhancement of the product page's variant picker: as the
// shopper picks options, show the price, stock and SKU of that variant and
// enable "Add to cart" only when it can be bought. Without this script the
// form still adds the chosen options' variant (the server resolves them).
(function () {
  "use strict";
  var form = document.getElementById("buy");
  if (!form || !form.dataset.variants) return;
  var variants = JSON.parse(form.dataset.variants);
  var radios = Array.prototype.slice.call(document.querySelectorAll('input[type="radio"][form="buy"][data-option]'));
  if (!radios.length) return;
  var purchase = form.closest(".purchase");
  var offer = purchase.querySelector(".purchase__offer");
  var missing = purchase.querySelector(".purchase__missing");
  var priceEl = purchase.querySelector(".purchase__price");
  var stockEl = purchase.querySelector(".purchase__stock");
  var skuEl = purchase.querySelector(".purchase__sku-value");
  var skuField = form.querySelector('input[name="sku"]');
  var quantity = form.querySelector('input[name="quantity"]');
  var button = form.querySelector('button[type="submit"]:not([formaction])');
  var show = document.querySelector(".variant-picker__show");
  if (show) show.hidden = true;

  function chosen() {
    var wanted = {};
    radios.forEach(function (radio) { if (radio.checked) wanted[radio.dataset.option] = radio.value; });
    return wanted;
  }

  function matching(wanted) {
    var names = Object.keys(wanted);
    return variants.filter(function (variant) {
      return names.every(function (name) { return variant.options[name] === wanted[name]; });
    });
  }

  function stockText(variant) {
    if (!variant.in_stock) return ["stock stock--out", "Out of stock"];
    if (variant.quantity_available < 5) return ["stock stock--low", "Only " + variant.quantity_available + " left"];
    return ["stock stock--in", "In stock"];
  }

  function markValues(wanted) {
    radios.forEach(function (radio) {
      var others = Object.assign({}, wanted);
      others[radio.dataset.option] = radio.value;
      var combos = matching(others);
      var state = !combos.length ? "unavailable" : (combos.some(function (v) { return v.in_stock; }) ? "in_stock" : "out_of_stock");
      var box = radio.closest(".variant-picker__value");
      box.className = "variant-picker__value variant-picker__value--" + state;
      var note = box.querySelector(".variant-picker__note");
      var text = state === "out_of_stock" ? "(sold out)" : (state === "unavailable" ? "(not with this selection)" : "");
      if (!note && text) {
        note = document.createElement("span");
        note.className = "variant-picker__note";
        box.querySelector("label").appendChild(document.createTextNode(" "));
        box.querySelector("label").appendChild(note);
      }
      if (note) note.textContent = text;
    });
  }

  function update() {
    var wanted = chosen();
    var found = Object.keys(wanted).length === Object.keys(variants[0] ? variants[0].options : {}).length
      ? matching(wanted)[0] : undefined;
    markValues(wanted);
    offer.hidden = !found;
    missing.hidden = !!found;
    if (!found) {
      skuField.value = "";
      button.disabled = true;
      button.textContent = "Add to cart";
      return;
    }
    var price = document.createElement("span");
    price.className = "price";
    price.textContent = found.price;
    priceEl.replaceChildren(price);
    var stock = stockText(found);
    var stockSpan = document.createElement("span");
    stockSpan.className = stock[0];
    stockSpan.textContent = stock[1];
    stockEl.replaceChildren(stockSpan);
    skuEl.textContent = found.sku;
    skuField.value = found.sku;
    quantity.max = String(Math.min(Math.max(found.quantity_available, 1), 99));
    button.disabled = !found.in_stock;
    button.textContent = found.in_stock ? "Add to cart" : "Sold out";
    var query = new URLSearchParams(wanted).toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  radios.forEach(function (radio) { radio.addEventListener("change", update); });
})();
