// The Razorpay payment step on the order page (payments_razorpay).
//
// The page's payment step (partials/payment_step.html) carries the Razorpay
// order id (data-client-secret), the API key id (data-publishable-key) and
// the shop's return URL. "Pay" opens Razorpay Checkout (checkout.js, loaded
// from the js_url setting); card, UPI and bank details are entered there and
// never reach the shop. Razorpay's handler gets razorpay_payment_id,
// razorpay_order_id and razorpay_signature; the shopper goes to the return
// URL with them, where the shop verifies the signature before it trusts
// anything and asks Razorpay where the payment stands. Razorpay's webhook
// reports it too; the shop records it once whichever comes first.
(function () {
  'use strict';
  var step = document.querySelector('[data-payment-step][data-plugin="payments_razorpay"]');
  if (!step) { return; }
  var errorBox = step.querySelector('[data-payment-error]');
  var button = step.querySelector('[data-payment-submit]');
  if (typeof window.Razorpay !== 'function') {
    errorBox.textContent = 'The payment window could not be loaded. Reload the page to try again.';
    return;
  }
  var returnUrl = step.dataset.returnUrl;
  var fields = step.querySelector('[data-payment-fields]');
  fields.textContent = 'You pay in Razorpay\u2019s secure window: card, UPI or netbanking.';
  button.disabled = false;

  function back(response) {
    var query = ['razorpay_payment_id', 'razorpay_order_id', 'razorpay_signature'].map(function (name) {
      return name + '=' + encodeURIComponent(response[name] || '');
    }).join('&');
    window.location.assign(returnUrl + (returnUrl.indexOf('?') === -1 ? '?' : '&') + query);
  }

  button.addEventListener('click', function () {
    button.disabled = true;
    errorBox.textContent = '';
    var checkout = new window.Razorpay({
      key: step.dataset.publishableKey,
      order_id: step.dataset.clientSecret,
      name: document.title,
      handler: back,
      modal: { ondismiss: function () { button.disabled = false; } }
    });
    checkout.on('payment.failed', function (response) {
      var error = (response && response.error) || {};
      errorBox.textContent = error.description || 'The payment did not go through. Try again or use another method.';
      button.disabled = false;
    });
    checkout.open();
  });
}());
