# epmt in a container, for submitting and querying from a host with Docker
# but no epmt. It packages the portable bundle made by `deno task build`:
#
#   deno task build
#   docker build -t epmt .
#   docker run --network=host -v $PWD:/app -w /app \
#       -e EPMT_DB_HOST=db.example.org epmt -v submit jobs/
#
# Not built on our build machines: they have no Docker engine (docs/install.md).
FROM debian:bookworm-slim

ARG EPMT_VERSION=0.1.0
ARG EPMT_BUNDLE=epmt-${EPMT_VERSION}-linux-x86_64

# ADD unpacks a local .tar.gz into the target folder.
ADD dist/${EPMT_BUNDLE}.tar.gz /opt/

# PostgreSQL by default (EPMT_DB_* choose the server); /app is where the
# job directories and archives are mounted.
RUN cp /opt/${EPMT_BUNDLE}/settings/settings_pg_localhost.json \
       /opt/${EPMT_BUNDLE}/settings.json \
 && ln -s /opt/${EPMT_BUNDLE}/epmt /usr/local/bin/epmt \
 && epmt --version

WORKDIR /app
ENTRYPOINT ["epmt"]
CMD ["help"]
