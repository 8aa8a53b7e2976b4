# SmartReturn in a container: the other common way to run such a daemon.
# NOT built or tested in CI (the CI machine has no Docker engine); the systemd unit is the tested way.
#   docker build -t smartreturn .
#   docker run -d --name smartreturn --restart unless-stopped \
#     -v smartreturn-state:/var/lib/smartreturn -v "$PWD/config.toml:/etc/smartreturn/config.toml:ro" \
#     -v "$PWD/secrets:/run/secrets:ro" smartreturn
#   docker logs -f smartreturn            (INFO by default: connects, batches, pushes, drafts)
#   docker exec smartreturn smartreturn --config /etc/smartreturn/config.toml doctor
# Secrets: password_file = "/run/secrets/imap-password" (and urls_file, api_key_file) in config.toml.
FROM python:3.12-slim
RUN useradd --system --home-dir /var/lib/smartreturn --create-home smartreturn
COPY . /src
RUN pip install --no-cache-dir '/src[postgres]' && rm -rf /src
USER smartreturn
ENV SMARTRETURN_GENERAL__STATE_DIR=/var/lib/smartreturn
VOLUME /var/lib/smartreturn
STOPSIGNAL SIGTERM
ENTRYPOINT ["smartreturn", "--config", "/etc/smartreturn/config.toml"]
CMD ["run"]
