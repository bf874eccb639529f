"""Every sentence the scripted brain speaks, per language: format strings keyed by a stable id.

`LINES[language][key]` is the wording; `line(language, key, **values)` fills it in. Amounts and dates are
passed already spoken in that language (`spoken_amount(value, language=...)`, `spoken_date(value,
language=...)`), so the output guard sees the same figures the negotiation engine approved. The Spanish is
static reviewed text (formal "usted"), never translated at run time. Compliance wording (recording notice,
debt-collector disclosure, voicemail, obligation answers, card prompts, read-back) is not here: it is reviewed
text in `shared/policy`.

A new sentence goes in BOTH languages, with the same placeholders (a test checks)."""

from __future__ import annotations

LANGUAGES = ("en", "es")

EN: dict[str, str] = {
    # Greeting and who is calling
    "who": "this is {agent}",
    "who_from": "this is {agent} calling from {business}",
    "greet_outbound": "Hi, {who}. May I please speak with {name}?",
    "greet_inbound": "Thank you for calling {business}, this is {agent}. May I have your full name, please?",
    "unknown_party": (
        "Hi, {who}. I'm sorry, I don't have the right details for this call, so I'll let you go. Goodbye."
    ),
    "reach_us": " You can reach us at {number}.",
    # Verification
    "ask_full_name": "May I have your full name, please?",
    "is_this": "Is this {first}?",
    "ask_for_customer": (
        "This is {agent} from {business}. I can only discuss the reason for my call with {name}. Is this {first}?"
    ),
    "confirm_name": "Before we go on, am I speaking with {name}?",
    "only_holder": "I'm sorry, I can only discuss this with the account holder. Thank you for calling. Goodbye.",
    "wrong_party_goodbye": (
        "I'm sorry to have bothered you. This is {agent} from {business}; we'll call back another time. Goodbye."
    ),
    "wrong_party_short": "I'm sorry to have bothered you. Goodbye.",
    "wrong_person_factors": "I'm sorry for the confusion. We'll call back another time. Goodbye.",
    "thanks_name": "Thank you, {first}. ",
    "factors_mismatch": "I'm sorry, that doesn't match what I have on file. ",
    "ask_factors": (
        "{lead}To protect your privacy, please tell me the last four digits of your account number and your "
        "ZIP code."
    ),
    "missing_factor": "Thank you. And {missing}?",
    "missing_zip": "your ZIP code",
    "missing_last4": "the last four digits of your account number",
    "factors_retry": (
        "I'm sorry, that doesn't match what I have on file. Let's try again: the last four digits of your "
        "account number and your ZIP code."
    ),
    "factors_retry_last": (
        "I'm sorry, that doesn't match what I have on file. Let's try one more time: the last four digits of "
        "your account number and your ZIP code."
    ),
    "factors_required": (
        "I'm sorry, I can't go any further until I've confirmed your identity. Please tell me the last four "
        "digits of your account number and your ZIP code."
    ),
    "locked": (
        "I'm sorry, I wasn't able to verify your identity, so I can't continue with this call.{reach_us} Goodbye."
    ),
    "verified": "Thank you, {first}. You're verified.",
    # The account
    "no_balance": "I'm sorry, I don't have an open balance to discuss today. Goodbye.",
    "account_intro": "I'm calling about your {product} account ending in {last4}. The balance is {balance}.",
    "account_intro_past_due": (
        "I'm calling about your {product} account ending in {last4}. The balance is {balance}, and {past_due} "
        "of it is past due."
    ),
    # Requests honored at any point
    "understood": "Understood.",
    "cease_recorded": "I've recorded your request, and we won't call you about this again. Goodbye.",
    "thanks_for_telling": "Thank you for letting me know.",
    "attorney_noted": (
        "I've noted that you're represented by an attorney; we'll direct any contact to them. Goodbye."
    ),
    "no_transfer_callback": (
        "I'm not able to transfer this call right now. I can have someone call you back. What day works best?"
    ),
    # Negotiation
    "hardship_offer": (
        "{understanding} Because of your situation, there's a gentler option. {offer} Would that work for you?"
    ),
    "specialists": "I'd like one of our specialists to go over your options with you.",
    "follow_up_writing": "We'll follow up with you in writing.{reach_us} Goodbye.",
    "cannot_offer": "I'm sorry, I can't offer that. {ask}",
    "closest_plan": "The closest plan I can offer is {terms}. Would that work for you?",
    "lowest_settlement": (
        "The lowest one-time payment I can accept is {amount}, paid on {date}. Would that work for you?"
    ),
    "offer_would_work": "{offer} Would that work for you?",
    "deflect": "I'm sorry, I can't help with that. {offer} {ask}",
    "dispute_ack": "I understand.",
    "dispute_recorded": (
        "I've recorded your dispute. We'll pause collection on this account and send you written information "
        "about it. Is there anything else I can help you with?"
    ),
    "kind_unavailable": "That option isn't available on this account.{alternative} {ask}",
    "hardship_goodbye": (
        "That's completely okay. I've noted your situation on the account, and you won't be asked to commit to "
        "anything today.{reach_us} Take care. Goodbye."
    ),
    "declined_goodbye": (
        "I understand. If anything changes, we're here to help.{reach_us} Thank you for your time. Goodbye."
    ),
    "unclear_goodbye": "Let's pick this up another time.{reach_us} Goodbye.",
    "unclear": "I'm sorry, I didn't quite catch that. {offer} {ask}",
    # Confirmation and payment
    "thank_you": "Thank you.",
    "what_works_better": "No problem. What would work better for you?",
    "nothing_set_up": "No problem, I haven't set anything up. {offer} {ask}",
    "all_set": "That's all set",
    "all_set_thanks": "Thank you, that's all set",
    "first_payment_now": "{all_set}. Would you like to make the first payment of {amount} now by card?",
    "terms_in_writing": (
        "{all_set}, and you'll receive the terms in writing. Is there anything else I can help you with?"
    ),
    "no_problem_due": "No problem.{due} Is there anything else I can help you with?",
    "first_payment_due": " Please make the first payment by {date}.",
    "enter_card": "Please use your phone's keypad to enter the card details, followed by the pound key.",
    "payment_succeeded": "Is there anything else I can help you with today?",
    "try_other_card": "Would you like to try a different card?",
    "arrangement_in_place": (
        "No problem. Your arrangement is still in place; please make the first payment by {date}. Is there "
        "anything else I can help you with?"
    ),
    "no_problem_anything_else": "No problem. Is there anything else I can help you with?",
    # Call back and wrap-up
    "no_callback_day": "No problem.{reach_us} Goodbye.",
    "ask_callback_day": "Of course. What day would be a good time for us to call you back?",
    "callback_scheduled": "I've scheduled a call back for {date}. Thank you, and goodbye.",
    "callback_window": "I can schedule a call back within the next 30 days. Which day works for you?",
    "anything_else": "Is there anything else I can help you with?",
    "all_set_anything_else": (
        "That's all set, and you'll receive the terms in writing. Is there anything else I can help you with?"
    ),
    "goodbye_first": "Thank you, {first}. Have a good day. Goodbye.",
    "what_else": "Of course. What else can I help you with?",
    "only_this_account": (
        "I'm sorry, I can only help with this account on this call.{reach_us} Thank you, goodbye."
    ),
}

ES: dict[str, str] = {
    # Saludo y quién llama
    "who": "habla {agent}",
    "who_from": "habla {agent} de parte de {business}",
    "greet_outbound": "Hola, {who}. ¿Podría hablar con {name}, por favor?",
    "greet_inbound": "Gracias por llamar a {business}, habla {agent}. ¿Me podría dar su nombre completo, por favor?",
    "unknown_party": (
        "Hola, {who}. Lo siento, no tengo los datos correctos para esta llamada, así que lo dejo ir. Adiós."
    ),
    "reach_us": " Puede comunicarse con nosotros al {number}.",
    # Verificación
    "ask_full_name": "¿Me podría dar su nombre completo, por favor?",
    "is_this": "¿Hablo con {first}?",
    "ask_for_customer": (
        "Habla {agent} de {business}. Solo puedo hablar del motivo de mi llamada con {name}. ¿Hablo con {first}?"
    ),
    "confirm_name": "Antes de continuar, ¿hablo con {name}?",
    "only_holder": "Lo siento, solo puedo hablar de esto con el titular de la cuenta. Gracias por llamar. Adiós.",
    "wrong_party_goodbye": (
        "Disculpe la molestia. Habla {agent} de {business}; volveremos a llamar en otro momento. Adiós."
    ),
    "wrong_party_short": "Disculpe la molestia. Adiós.",
    "wrong_person_factors": "Disculpe la confusión. Volveremos a llamar en otro momento. Adiós.",
    "thanks_name": "Gracias, {first}. ",
    "factors_mismatch": "Lo siento, eso no coincide con lo que tengo registrado. ",
    "ask_factors": (
        "{lead}Para proteger su privacidad, por favor dígame los últimos cuatro dígitos de su número de cuenta "
        "y su código postal."
    ),
    "missing_factor": "Gracias. ¿Y {missing}?",
    "missing_zip": "su código postal",
    "missing_last4": "los últimos cuatro dígitos de su número de cuenta",
    "factors_retry": (
        "Lo siento, eso no coincide con lo que tengo registrado. Intentemos de nuevo: los últimos cuatro dígitos "
        "de su número de cuenta y su código postal."
    ),
    "factors_retry_last": (
        "Lo siento, eso no coincide con lo que tengo registrado. Intentemos una última vez: los últimos cuatro "
        "dígitos de su número de cuenta y su código postal."
    ),
    "factors_required": (
        "Lo siento, no puedo continuar hasta confirmar su identidad. Por favor dígame los últimos cuatro dígitos "
        "de su número de cuenta y su código postal."
    ),
    "locked": (
        "Lo siento, no pude verificar su identidad, así que no puedo continuar con esta llamada.{reach_us} Adiós."
    ),
    "verified": "Gracias, {first}. Su identidad está verificada.",
    # La cuenta
    "no_balance": "Lo siento, no tengo un saldo pendiente que tratar hoy. Adiós.",
    "account_intro": "Le llamo por su cuenta de {product} que termina en {last4}. El saldo es de {balance}.",
    "account_intro_past_due": (
        "Le llamo por su cuenta de {product} que termina en {last4}. El saldo es de {balance}, y {past_due} de "
        "ese saldo está vencido."
    ),
    # Solicitudes atendidas en cualquier momento
    "understood": "Entendido.",
    "cease_recorded": "He registrado su solicitud y no volveremos a llamarle por este asunto. Adiós.",
    "thanks_for_telling": "Gracias por avisarme.",
    "attorney_noted": (
        "He anotado que un abogado le representa; dirigiremos cualquier contacto a su abogado. Adiós."
    ),
    "no_transfer_callback": (
        "En este momento no puedo transferir la llamada. Puedo pedir que alguien le devuelva la llamada. "
        "¿Qué día le queda mejor?"
    ),
    # Negociación
    "hardship_offer": (
        "{understanding} Por su situación, hay una opción más flexible. {offer} ¿Le funcionaría eso?"
    ),
    "specialists": "Me gustaría que uno de nuestros especialistas revise sus opciones con usted.",
    "follow_up_writing": "Le daremos seguimiento por escrito.{reach_us} Adiós.",
    "cannot_offer": "Lo siento, no puedo ofrecer eso. {ask}",
    "closest_plan": "El plan más cercano que puedo ofrecer es {terms}. ¿Le funcionaría eso?",
    "lowest_settlement": (
        "El pago único más bajo que puedo aceptar es de {amount}, pagado el {date}. ¿Le funcionaría eso?"
    ),
    "offer_would_work": "{offer} ¿Le funcionaría eso?",
    "deflect": "Lo siento, no puedo ayudarle con eso. {offer} {ask}",
    "dispute_ack": "Entiendo.",
    "dispute_recorded": (
        "He registrado su disputa. Pausaremos el cobro de esta cuenta y le enviaremos información por escrito. "
        "¿Hay algo más en que le pueda ayudar?"
    ),
    "kind_unavailable": "Esa opción no está disponible para esta cuenta.{alternative} {ask}",
    "hardship_goodbye": (
        "No se preocupe. He anotado su situación en la cuenta, y hoy no se le pedirá ningún compromiso."
        "{reach_us} Cuídese. Adiós."
    ),
    "declined_goodbye": (
        "Entiendo. Si algo cambia, estamos para ayudarle.{reach_us} Gracias por su tiempo. Adiós."
    ),
    "unclear_goodbye": "Lo dejamos para otro momento.{reach_us} Adiós.",
    "unclear": "Disculpe, no le entendí bien. {offer} {ask}",
    # Confirmación y pago
    "thank_you": "Gracias.",
    "what_works_better": "No hay problema. ¿Qué le funcionaría mejor?",
    "nothing_set_up": "No hay problema, no he registrado nada. {offer} {ask}",
    "all_set": "Todo listo",
    "all_set_thanks": "Gracias, todo listo",
    "first_payment_now": "{all_set}. ¿Le gustaría hacer ahora con tarjeta el primer pago de {amount}?",
    "terms_in_writing": "{all_set}, y recibirá los términos por escrito. ¿Hay algo más en que le pueda ayudar?",
    "no_problem_due": "No hay problema.{due} ¿Hay algo más en que le pueda ayudar?",
    "first_payment_due": " Por favor haga el primer pago a más tardar el {date}.",
    "enter_card": (
        "Por favor use el teclado de su teléfono para ingresar los datos de la tarjeta, seguidos de la tecla "
        "numeral."
    ),
    "payment_succeeded": "¿Hay algo más en que le pueda ayudar hoy?",
    "try_other_card": "¿Le gustaría intentar con otra tarjeta?",
    "arrangement_in_place": (
        "No hay problema. Su acuerdo sigue vigente; por favor haga el primer pago a más tardar el {date}. "
        "¿Hay algo más en que le pueda ayudar?"
    ),
    "no_problem_anything_else": "No hay problema. ¿Hay algo más en que le pueda ayudar?",
    # Devolver la llamada y cierre
    "no_callback_day": "No hay problema.{reach_us} Adiós.",
    "ask_callback_day": "Por supuesto. ¿Qué día le conviene que le devolvamos la llamada?",
    "callback_scheduled": "He programado una llamada para el {date}. Gracias, y adiós.",
    "callback_window": "Puedo programar una llamada dentro de los próximos 30 días. ¿Qué día le conviene?",
    "anything_else": "¿Hay algo más en que le pueda ayudar?",
    "all_set_anything_else": (
        "Todo listo, y recibirá los términos por escrito. ¿Hay algo más en que le pueda ayudar?"
    ),
    "goodbye_first": "Gracias, {first}. Que tenga un buen día. Adiós.",
    "what_else": "Por supuesto. ¿En qué más le puedo ayudar?",
    "only_this_account": (
        "Lo siento, en esta llamada solo puedo ayudarle con esta cuenta.{reach_us} Gracias, adiós."
    ),
}

LINES: dict[str, dict[str, str]] = {"en": EN, "es": ES}


def line(language: str, key: str, **values: object) -> str:
    """The sentence `key` in `language` ("en" when the language has no catalogue), filled with `values`."""
    return LINES.get(language, EN)[key].format(**values)
