import { platformPropertySuite } from './suite';

platformPropertySuite('xen-pv-dom0');
