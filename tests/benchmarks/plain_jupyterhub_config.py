# Baseline hub for benchmarks: JupyterHub with its default settings, changed only where a
# fair comparison needs it: the same spawner as ECHOES, a login the benchmark can use,
# and ports that do not collide.
import os

from echoes_hub.spawners.local import EchoesLocalSpawner

c = get_config()  # noqa: F821

port = int(os.environ["BENCH_PORT"])
c.JupyterHub.hub_port = port + 2
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 1}"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["BENCH_PASSWORD"]
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = EchoesLocalSpawner
c.EchoesLocalSpawner.home_root = os.path.join(os.getcwd(), "homes")
c.EchoesLocalSpawner.data_dir = os.path.join(os.getcwd(), "heritage")
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
