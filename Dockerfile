# The chainrisk app as a container; docker-compose.yml runs it beside Neo4j 5.
# The image holds the installed wheel only (no clone): the same package that
# tests/test_package.py builds, installs and runs outside the repository.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY chainrisk ./chainrisk
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN python -m pip install /wheels/*.whl && rm -rf /wheels
COPY deploy/entrypoint.sh /usr/local/bin/chainrisk-entrypoint
COPY deploy/policy.example.toml /etc/chainrisk/policy.example.toml
# /var/lib/chainrisk/policy exists in the image, owned by the app's user, so that the
# named volume docker compose mounts there starts with that owner.
RUN chmod 0755 /usr/local/bin/chainrisk-entrypoint \
    && useradd --system --create-home --home-dir /var/lib/chainrisk --shell /usr/sbin/nologin chainrisk \
    && install -d -o chainrisk -m 0700 /var/lib/chainrisk/policy
USER chainrisk
WORKDIR /var/lib/chainrisk
EXPOSE 8501
ENTRYPOINT ["/usr/local/bin/chainrisk-entrypoint"]
CMD ["chainrisk", "ui", "--host", "0.0.0.0", "--port", "8501"]
