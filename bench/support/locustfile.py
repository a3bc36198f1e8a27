"""Locust's fast HTTP client as a benchmark peer: each user GETs one path back to back, no think time."""

from locust import FastHttpUser, constant, events, task


@events.init_command_line_parser.add_listener
def _(parser):
    # Locust's --host takes an origin only, so the benchmark passes the target URL's path here.
    parser.add_argument("--path", default="/", help="path every request GETs")


class Get(FastHttpUser):
    # No think time: the closed loop of wrk, autocannon and hey.
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get(self.environment.parsed_options.path)
