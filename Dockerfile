# The browser canvas, built once with Node from the lockfile; only its dist/ goes into the image.
FROM node:20-slim AS frontend
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# One image for every role: api (gunicorn), worker, scheduler, migrations.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY builder_api builder_api
COPY workflow_runtime workflow_runtime
COPY nodes nodes
COPY flows flows
COPY --from=frontend /frontend/dist frontend/dist
RUN pip install --no-cache-dir .
# The app runs unprivileged; instance/ (where the embedded mode keeps its files) is the one folder it writes.
RUN useradd --system --no-create-home automap && mkdir instance && chown automap instance
USER automap
EXPOSE 5000
# gthread: each widget's event stream holds a thread for up to a minute; sync workers would each hold one visitor.
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "4", "--worker-class", "gthread", "--threads", "64", "builder_api.wsgi:app"]
