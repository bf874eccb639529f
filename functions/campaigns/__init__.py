"""Campaign orchestration: the Durable orchestrators (`orchestrator`), their activities (`activities`), the
function app's blueprint with the scheduler and retention timers (`blueprint`), the ports to telephony and
to the orchestration engine (`ports`), run control for the API, CLI and scheduler (`control`), and the
in-process driver that runs the same orchestrators locally (`driver`)."""
