import { platformPropertySuite } from './suite';

platformPropertySuite('xen-hvm-domu');
