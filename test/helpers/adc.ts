/** What ADC 0.28 sends for `httpbin` with a `/headers` route (as recorded from ADC 0.28). */
export const ADC_SERVICE_ID = '1cce0451c1506aebd20dc38421c5cc856493e694';
export const ADC_ROUTE_ID = '308233bd700e993351708567adaa38139b27ef69';

export const adcService = {
  service_id: ADC_SERVICE_ID,
  name: 'httpbin',
  labels: { 'managed-by': 'adc' },
  upstream: {
    type: 'roundrobin',
    nodes: [{ host: 'httpbin', port: 80, weight: 100, priority: 0 }],
    scheme: 'http',
    pass_host: 'pass',
  },
  type: 'http',
};

export const adcRoute = {
  route_id: ADC_ROUTE_ID,
  name: 'headers',
  labels: { 'managed-by': 'adc' },
  service_id: ADC_SERVICE_ID,
  paths: ['/headers'],
};
