// The Stripe payment step on the order page (payments_stripe).
//
// The page's payment step (partials/payment_step.html) carries the Payment
// Intent's client secret, the publishable key and the shop's return URL in
// data-* attributes. Card details are typed into Stripe's own element (an
// iframe on js.stripe.com): they never reach the shop. After Stripe.js
// confirms the payment (with 3-D Secure when the card asks for it), the
// shopper goes to the return URL, where the shop asks Stripe where the
// payment stands; Stripe's webhook reports it too, and the shop records it
// once whichever comes first.
(function () {
  'use strict';
  var step = document.querySelector('[data-payment-step][data-plugin="payments_stripe"]');
  if (!step) { return; }
  var errorBox = step.querySelector('[data-payment-error]');
  var button = step.querySelector('[data-payment-submit]');
  if (typeof window.Stripe !== 'function') {
    errorBox.textContent = 'The card form could not be loaded. Reload the page to try again.';
    return;
  }
  var secret = step.dataset.clientSecret;
  var returnUrl = step.dataset.returnUrl;
  var paymentElement = step.dataset.cardEntry === 'payment_element';
  var stripe = window.Stripe(step.dataset.publishableKey);
  var elements = paymentElement ? stripe.elements({ clientSecret: secret }) : stripe.elements();
  var field = elements.create(paymentElement ? 'payment' : 'card');
  field.mount(step.querySelector('[data-payment-fields]'));
  button.disabled = false;

  function back(intentId) {
    var separator = returnUrl.indexOf('?') === -1 ? '?' : '&';
    window.location.assign(returnUrl + separator + 'payment_intent=' + encodeURIComponent(intentId));
  }

  button.addEventListener('click', function () {
    button.disabled = true;
    errorBox.textContent = '';
    var confirming = paymentElement
      ? stripe.confirmPayment({ elements: elements, confirmParams: { return_url: returnUrl }, redirect: 'if_required' })
      : stripe.confirmCardPayment(secret, { payment_method: { card: field } });
    confirming.then(function (result) {
      if (result.error) {
        errorBox.textContent = result.error.message || 'The payment did not go through. Check the card and try again.';
        button.disabled = false;
        return;
      }
      back(result.paymentIntent.id);
    }, function () {
      errorBox.textContent = 'The payment could not be sent. Check your connection and try again.';
      button.disabled = false;
    });
  });
}());
